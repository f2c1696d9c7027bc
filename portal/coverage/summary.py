"""Keeping the coverage figures: each change to who is targeted, who has which dose and which
visit counts is followed, in its own transaction, by the rows of the people it touched.

Whatever writes residents, doses or visits through the ORM is followed without asking: a
flush notes the residents it touched, and the commit brings their rows up to date before it
ends (`register`). The bulk writers (imports, merges) say which residents they touched with
`touch`. A campaign created, or whose target or dose changes, is built again whole.

For the residents touched, their rows in campaign_standings are read, deleted, and made again
from the register, the doses and the visits (`entries`, the same rules as the walk:
target_clause, dose_clause, the latest visit that counts); the difference is added to
each table of sums (SUMS). On PostgreSQL the residents' rows are locked first, so two
sessions writing for the same person follow one another and neither counts the other's
change twice or not at all; SQLite has one writer at a time already.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import (
    Integer, bindparam, delete, event, func, insert, literal, select, union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from portal.campaigns.models import Campaign
from portal.campaigns.rules import dose_clause, satisfying_doses, target_clause
from portal.coverage import models
from portal.coverage.cuts import band_clause, risk_clause
from portal.coverage.models import NO_DAY, NO_TEXT
from portal.extensions import db
from portal.residents.models import Dose, Resident
from portal.units.models import AdministrativeUnit
from portal.visits.models import Visit

STANDINGS = models.CampaignStanding.__table__
COUNTS = models.CoverageCount.__table__
COMMUNE_COUNTS = models.CoverageCommuneCount.__table__
DAYS = models.CoverageDay.__table__
ENTRY_COLUMNS = ("campaign_id", "resident_id", "hamlet_id", "commune_id", "band", "sex", "risk",
                 "up_to_date", "up_to_date_on", "outcome", "screening_category",
                 "deferred_until")
CUTS_AND_STATE = ("band", "sex", "risk", "up_to_date", "outcome", "screening_category",
                  "deferred_until")
COUNT_KEY = ("campaign_id", "hamlet_id", *CUTS_AND_STATE)
COMMUNE_KEY = ("campaign_id", "commune_id", *CUTS_AND_STATE)
DAY_KEY = ("campaign_id", "hamlet_id", "day")
# Each table of sums and its key, the second column the unit it sums by.
SUMS = ((COUNTS, COUNT_KEY), (COMMUNE_COUNTS, COMMUNE_KEY), (DAYS, DAY_KEY))
# What a campaign's rows depend on: a change to any of these builds them again.
TARGET_FIELDS = ("min_age", "max_age", "sex", "risk_groups_only", "age_reference_date",
                 "required_dose")
# Residents refreshed per round of statements (a list of ids in one IN).
CHUNK = 2_000

_TOUCHED = "coverage.touched"
_CAMPAIGNS = "coverage.campaigns"


def touch(resident_ids: Iterable[int], session: Session | None = None) -> None:
    """Say that these residents' rows must be brought up to date before the commit."""
    session = session or db.session()
    session.info.setdefault(_TOUCHED, set()).update(resident_ids)


def touch_campaign(campaign_id: int, session: Session | None = None) -> None:
    """Say that this campaign's rows must be built again before the commit."""
    session = session or db.session()
    session.info.setdefault(_CAMPAIGNS, set()).add(campaign_id)


def bring_up_to_date(session: Session | None = None) -> None:
    """Refresh now what has been touched so far (the commit does it otherwise)."""
    session = session or db.session()
    session.flush()
    campaigns = session.info.pop(_CAMPAIGNS, set())
    touched = session.info.pop(_TOUCHED, set())
    for campaign_id in sorted(campaigns):
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None:
            rebuild(campaign, session)
    if touched:
        refresh(sorted(touched), session)


def refresh(resident_ids: list[int], session: Session | None = None) -> None:
    """Bring the rows of these residents up to date in every campaign, and the sums with them."""
    session = session or db.session()
    campaigns = list(session.scalars(select(Campaign).order_by(Campaign.id)))
    if not campaigns:
        return
    for start in range(0, len(resident_ids), CHUNK):
        ids = resident_ids[start:start + CHUNK]
        if session.get_bind().dialect.name == "postgresql":
            # FOR NO KEY UPDATE: two refreshes of a person take turns, but a visit being saved
            # for them (its foreign key holds the person FOR KEY SHARE) is not waited for.
            session.execute(select(Resident.id).where(Resident.id.in_(ids))
                            .order_by(Resident.id).with_for_update(key_share=True))
        before = _rows_of(session, STANDINGS.c.resident_id.in_(ids))
        session.execute(delete(STANDINGS).where(STANDINGS.c.resident_id.in_(ids)))
        session.execute(_refreshing(campaigns), {"ids": ids})
        after = _rows_of(session, STANDINGS.c.resident_id.in_(ids))
        _add_differences(session, before, after)


_REFRESHING: dict[tuple, object] = {}


def _refreshing(campaigns: list[Campaign]):
    """The INSERT of every campaign's rows for some residents (`ids`, bound when it runs), in
    one statement: a knock is a few people and several campaigns. Built once for the same
    campaigns and rules (building it costs more than running it)."""
    key = tuple((c.id, *(getattr(c, name) for name in TARGET_FIELDS)) for c in campaigns)
    statement = _REFRESHING.get(key)
    if statement is None:
        ids = bindparam("ids", expanding=True)
        statement = insert(STANDINGS).from_select(
            ENTRY_COLUMNS, union_all(*[entries(campaign, ids) for campaign in campaigns]))
        if len(_REFRESHING) > 32:
            _REFRESHING.clear()
        _REFRESHING[key] = statement
    return statement


def rebuild(campaign: Campaign | None = None, session: Session | None = None) -> None:
    """Build the rows of a campaign (of every campaign if None) from nothing: for a new
    campaign, a changed target, the demo's bulk load, or a check that they are right."""
    session = session or db.session()
    if campaign is None:  # everything noted so far is in what follows
        session.flush()
        session.info.pop(_TOUCHED, None)
        session.info.pop(_CAMPAIGNS, None)
    campaigns = [campaign] if campaign is not None else list(
        session.scalars(select(Campaign).order_by(Campaign.id)))
    for one in campaigns:
        for table in (STANDINGS, COUNTS, COMMUNE_COUNTS, DAYS):
            session.execute(delete(table).where(table.c.campaign_id == one.id))
        session.execute(insert(STANDINGS).from_select(ENTRY_COLUMNS, entries(one)))
        _sum_from_standings(session, one.id)


def entries(campaign: Campaign, ids=None):
    """The rows of campaign_standings for the campaign's target population (those of `ids`
    only, if given: a list or a bound parameter): the SELECT an INSERT takes them from."""
    latest = select(Visit.resident_id, func.max(Visit.id).label("visit_id")).where(
        Visit.counts_in(campaign))
    if ids is not None:
        latest = latest.where(Visit.resident_id.in_(ids))
    latest = latest.group_by(Visit.resident_id).subquery()
    visit = aliased(Visit)
    first_day = (select(func.min(Dose.given_on))
                 .where(Dose.resident_id == Resident.id,
                        Dose.kind.in_(satisfying_doses(campaign)))
                 .scalar_subquery())
    up_to_date = dose_clause(campaign)
    hamlet = aliased(AdministrativeUnit)
    query = (
        select(literal(campaign.id, Integer).label("campaign_id"),
               Resident.id.label("resident_id"), Resident.hamlet_id,
               hamlet.parent_id.label("commune_id"),
               band_clause(campaign.age_reference_date).label("band"), Resident.sex,
               risk_clause().label("risk"), up_to_date.label("up_to_date"),
               first_day.label("up_to_date_on"), visit.outcome, visit.screening_category,
               visit.deferred_until)
        .select_from(Resident)
        .join(hamlet, hamlet.id == Resident.hamlet_id)
        .outerjoin(latest, latest.c.resident_id == Resident.id)
        .outerjoin(visit, visit.id == latest.c.visit_id)
        .where(target_clause(campaign))
    )
    return query if ids is None else query.where(Resident.id.in_(ids))


def _rows_of(session: Session, condition) -> tuple[Counter, ...]:
    """The sums that the rows meeting `condition` make, a Counter for each table of SUMS."""
    counts: Counter = Counter()
    communes: Counter = Counter()
    days: Counter = Counter()
    rows = session.execute(select(*[STANDINGS.c[name] for name in ENTRY_COLUMNS]).where(condition))
    for row in rows:
        state = (row.band, _text(row.sex), row.risk, bool(row.up_to_date), _text(row.outcome),
                 _text(row.screening_category), row.deferred_until or NO_DAY)
        counts[(row.campaign_id, row.hamlet_id, *state)] += 1
        communes[(row.campaign_id, row.commune_id, *state)] += 1
        if row.up_to_date:
            days[(row.campaign_id, row.hamlet_id, row.up_to_date_on or NO_DAY)] += 1
    return counts, communes, days


def _text(value) -> str:
    return NO_TEXT if value is None else str(value)


def _add_differences(session: Session, before: tuple[Counter, ...],
                     after: tuple[Counter, ...]) -> None:
    for (table, key), old, new in zip(SUMS, before, after, strict=True):
        changes = Counter(new)
        changes.subtract(old)
        # In key order: two sessions adding to the same rows take their locks in one order.
        rows = [dict(zip(key, values), people=people)
                for values, people in sorted(changes.items()) if people]
        if not rows:
            continue
        session.execute(_upsert(session, table, key), rows)
        # A row that came down to nobody goes: by its own key only, a row this transaction
        # holds already (a wider DELETE would wait on another's rows while it waits on ours).
        emptied = [{f"key_{name}": row[name] for name in key} for row in rows
                   if row["people"] < 0]
        if emptied:
            session.execute(delete(table).where(
                *[table.c[name] == bindparam(f"key_{name}") for name in key],
                table.c.people == 0), emptied)


def _upsert(session: Session, table, key: tuple[str, ...]):
    """INSERT adding to the row of the same key if there is one (both databases say it so)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={"people": table.c.people + statement.excluded.people})


def _sum_from_standings(session: Session, campaign_id: int) -> None:
    """The sums of a campaign, made from its rows at once."""
    s = STANDINGS.c
    state = [s.band, s.sex, s.risk, s.up_to_date, func.coalesce(s.outcome, NO_TEXT),
             func.coalesce(s.screening_category, NO_TEXT),
             func.coalesce(s.deferred_until, NO_DAY)]
    for table, key in SUMS[:2]:
        keys = [s.campaign_id, s[key[1]], *state]
        session.execute(insert(table).from_select(
            [*key, "people"],
            select(*keys, func.count()).where(s.campaign_id == campaign_id).group_by(*keys)))
    day = func.coalesce(s.up_to_date_on, NO_DAY)
    session.execute(insert(DAYS).from_select(
        [*DAY_KEY, "people"],
        select(s.campaign_id, s.hamlet_id, day, func.count())
        .where(s.campaign_id == campaign_id, s.up_to_date.is_(True))
        .group_by(s.campaign_id, s.hamlet_id, day)))


# -- following the session's writes ---------------------------------------------------------

def _note_flush(session: Session, flush_context) -> None:
    """After a flush: the residents whose doses, visits or record it wrote; the campaigns
    created or whose target it changed."""
    touched = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Resident):
            touched.add(instance.id)
        elif isinstance(instance, (Visit, Dose)):
            touched.add(instance.resident_id)
            if isinstance(instance, Dose) and (
                    old := db.inspect(instance).attrs.resident_id.history.deleted):
                touched.update(old)
        elif isinstance(instance, Campaign) and (
                instance in session.new or _target_changed(instance)):
            touch_campaign(instance.id, session)
    touched.discard(None)
    if touched:
        touch(touched, session)


def _target_changed(campaign: Campaign) -> bool:
    state = db.inspect(campaign)
    return any(state.attrs[name].history.has_changes() for name in TARGET_FIELDS)


def _before_commit(session: Session) -> None:
    # The commit's own flush comes after this: flushed first, what it writes is noted too.
    if session.new or session.dirty or session.deleted:
        session.flush()
    if session.info.get(_TOUCHED) or session.info.get(_CAMPAIGNS):
        bring_up_to_date(session)


def _forget(session: Session, transaction) -> None:
    """What was noted goes with the transaction that wrote it (committed or rolled back)."""
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)
        session.info.pop(_CAMPAIGNS, None)


def register() -> None:
    """Follow every session's writes (one set of listeners for every app)."""
    for name, listener in (("after_flush", _note_flush), ("before_commit", _before_commit),
                           ("after_transaction_end", _forget)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)




def rebuild_on(connection) -> None:
    """rebuild, on a connection in a migration's transaction (which it leaves to commit)."""
    if connection.execute(select(Resident.id).limit(1)).first() is None:
        return
    with Session(bind=connection) as session:
        rebuild(session=session)
        session.flush()
