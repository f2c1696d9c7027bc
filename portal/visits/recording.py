"""Recording a knock on a door and undoing it: a visit per campaign it screened, once per
client id, each with its effects and an audit row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select

from portal.audit.log import record
from portal.campaigns.models import Campaign
from portal.campaigns.rules import has_required_dose
from portal.extensions import db
from portal.residents.models import Dose, RecordSource, Resident, ResidentStatus
from portal.timeutil import utcnow
from portal.visits.models import Outcome, RefusalReason, ScreeningCategory, Visit
from portal.visits.outcomes import DETAIL_FIELDS, OUTCOME_DETAILS, effect_of
from portal.visits.standings import screening_in, standing_of, standings_in

UNDO_WINDOW = timedelta(minutes=5)
# The details a visit row holds itself (the others, from a card seen, make a dose).
VISIT_DETAILS = frozenset(name for name in DETAIL_FIELDS if name in Visit.__table__.columns)


class VisitConflict(ValueError):
    """A client id already names a visit of another resident."""


@dataclass(frozen=True)
class VisitInput:
    """What the screener entered."""

    client_uuid: str
    outcome: Outcome
    refusal_reason: RefusalReason | None = None
    screening_category: ScreeningCategory | None = None
    deferred_until: date | None = None
    reason: str | None = None
    note: str | None = None
    dose_given_on: date | None = None
    vaccine: str | None = None


def knock_of(client_uuid: str) -> list[Visit]:
    """The visits a form already saved (one per campaign it screened), if any, in order."""
    return list(db.session.scalars(
        select(Visit).where(Visit.client_uuid == client_uuid).order_by(Visit.id)))


def _visit_facts(visit: Visit) -> dict:
    """What the trail keeps of a visit: what it found, by category, not the words written (a
    medical reason, a note). The trail can never be changed, so it holds no free text that an
    erasure or the retention purge would have to reach: the words stay on the visit itself."""
    return {
        "resident_id": visit.resident_id,
        "campaign_id": visit.campaign_id,
        "outcome": visit.outcome.value,
        "refusal_reason": visit.refusal_reason.value if visit.refusal_reason else None,
        "screening_category": (
            visit.screening_category.value if visit.screening_category else None
        ),
        "deferred_until": visit.deferred_until.isoformat() if visit.deferred_until else None,
    }


def kept_details(entry: VisitInput) -> dict:
    """Every detail of the entry, None where its outcome does not keep it (OUTCOME_DETAILS)."""
    kept = OUTCOME_DETAILS[entry.outcome].kept(entry)
    return {name: (getattr(entry, name) or None) if name in kept else None
            for name in DETAIL_FIELDS}


def record_knock(
    *, user, resident: Resident, entries: list[tuple[Campaign, VisitInput]], today: date,
    at: datetime | None = None,
) -> tuple[list[Visit], bool]:
    """Save one knock on a resident's door: a visit for each campaign it screened, each with
    its outcome and effect; (the visits, False) when this client id was saved before.

    Every entry carries the form's client id. `at` is when the visit happened, now unless said
    (the demo's visits took place earlier). The caller commits. A concurrent duplicate shows
    up as an IntegrityError on commit: the caller then rolls back and calls knock_of.
    """
    client_uuids = {entry.client_uuid for _, entry in entries}
    if len(client_uuids) != 1 or len({c.id for c, _ in entries}) != len(entries):
        raise ValueError("a knock has one client id and one entry per campaign")
    existing = knock_of(client_uuids.pop())
    if existing:
        if any(visit.resident_id != resident.id for visit in existing):
            raise VisitConflict(existing[0].client_uuid)
        return existing, False
    before = {campaign.id: standing_of(resident, campaign, today) for campaign, _ in entries}
    return _record_new(user, resident, entries, today, at, before), True


def _record_new(user, resident: Resident, entries: list[tuple[Campaign, VisitInput]],
                today: date, at: datetime | None, before: dict,
                kinds: set | None = None) -> list[Visit]:
    """A knock whose client id is new: its visits, given where the person stood before it in
    each campaign (by campaign id), and the doses they have when read already. One outcome
    (moved away) may change the register for all of them: the status before is read once."""
    moment = at or utcnow()
    status_before = resident.status
    kinds = set(kinds) if kinds is not None else {d.kind for d in resident.doses}
    visits = [_visit_row(user, resident, campaign, entry, moment) for campaign, entry in entries]
    db.session.add_all(visits)
    db.session.flush()  # the knock's rows in one statement: their ids for the effects below
    for (campaign, entry), visit in zip(entries, visits):
        _effects(user, resident, campaign, entry, visit, today, before[campaign.id],
                 status_before, kinds)
    return visits


def record_visit(
    *, user, resident: Resident, campaign: Campaign, entry: VisitInput, today: date,
    at: datetime | None = None,
) -> tuple[Visit, bool]:
    """A knock that screened one campaign: record_knock with one entry."""
    visits, created = record_knock(user=user, resident=resident, entries=[(campaign, entry)],
                                   today=today, at=at)
    return visits[0], created


def _visit_row(user, resident: Resident, campaign: Campaign, entry: VisitInput,
               at: datetime) -> Visit:
    """One campaign's visit of a knock, with the details its outcome keeps."""
    details = kept_details(entry)
    return Visit(
        client_uuid=entry.client_uuid,
        campaign_id=campaign.id,
        resident_id=resident.id,
        user_id=user.id,
        visited_at=at,
        outcome=entry.outcome,
        **{name: value for name, value in details.items() if name in VISIT_DETAILS},
    )


def _effects(user, resident: Resident, campaign: Campaign, entry: VisitInput, visit: Visit,
             today: date, before, status_before: ResidentStatus, kinds: set) -> None:
    """What one campaign's visit of a knock does to the resident, and its audit event."""
    effect = effect_of(entry.outcome)
    if effect.resident_status is not None and resident.status is not effect.resident_status:
        visit.resident_status_before = resident.status.value
        resident.status = effect.resident_status
    if effect.proves_required_dose and not has_required_dose(kinds, campaign):
        details = kept_details(entry)
        db.session.add(Dose(
            resident_id=resident.id, kind=campaign.required_dose, vaccine=details["vaccine"] or "",
            given_on=details["dose_given_on"], source=RecordSource.CARD, visit_id=visit.id,
        ))
        db.session.flush()
        db.session.refresh(resident, ["doses"])
        kinds.add(campaign.required_dose)
    after = standing_of(resident, campaign, today, latest_visit=visit, kinds=kinds)
    record(
        "visit.create", "visit", visit.id, unit_id=resident.hamlet_id, user=user,
        before={"standing": before.value, "resident_status": status_before.value},
        after={**_visit_facts(visit), "standing": after.value,
               "resident_status": resident.status.value},
    )


def save_knock(form, *, user, resident: Resident, campaigns: list[Campaign], today: date,
               at: datetime | None = None, looked_up: bool = False,
               screening: tuple | None = None) -> tuple[list[Visit], bool]:
    """The knock a valid visit form asks for, from a card or a phone's outbox alike.

    (its visits, True) when saved now (the caller commits); (the visits, False) when its client
    id was saved before; ([], False) when nothing is left to record (the person is up to date,
    or the campaigns the form listed are closed or no longer target them). Raises VisitConflict
    when the client id names another resident's knock. `looked_up`: the caller has just found
    no knock of this client id (its transaction still open), so it is not asked again.
    `screening`: where the person stands in each of `campaigns` and the doses they have, when
    the caller has read them (a batch reads them for all its people at once).
    """
    saved_before = [] if looked_up else knock_of(form.client_uuid.data)
    if saved_before:  # sent again (a double tap, a retry, an outbox whose answer was lost)
        if saved_before[0].resident_id != resident.id:
            raise VisitConflict(form.client_uuid.data)
        return saved_before, False
    if screening is None:
        standings, kinds = screening_in(campaigns, [resident], today)
        screening = standings[resident.id], kinds.get(resident.id, set())
    standings, kinds = screening
    entries = form.entries([s.campaign for s in standings if s.to_record])
    if not entries:
        return [], False
    # Where the person stands now is where they stood before the knock: read once.
    before = {s.campaign.id: s.standing for s in standings}
    return _record_new(user, resident, entries, today, at, before, kinds), True


def saved_meanwhile(client_uuid: str, resident: Resident) -> list[Visit]:
    """After a transaction that failed or found nothing to record: the knock the same form
    saved meanwhile in another request (sent twice at once), if any, asked again past the
    failed transaction's view."""
    db.session.rollback()
    visits = knock_of(client_uuid)
    return visits if visits and visits[0].resident_id == resident.id else []


def household_absent(*, user, household, campaigns: list[Campaign], client_uuid: str,
                     today: date) -> list[Visit]:
    """Nobody of the household is at home: absent, for each member, in each campaign where they
    still needed a visit (a deferral or a homebound standing stays as it was).

    Each member's knock has its own client id, made from the household's, so the same tap sent
    twice records nothing more. The caller commits.
    """
    members = list(db.session.scalars(select(Resident).where(
        Resident.household_id == household.id, Resident.status == ResidentStatus.PRESENT)))
    standings = standings_in(campaigns, members, today)
    recorded = []
    for member in members:
        member_uuid = str(uuid.uuid5(uuid.UUID(client_uuid), str(member.id)))
        entries = [(s.campaign, VisitInput(client_uuid=member_uuid, outcome=Outcome.ABSENT))
                   for s in standings[member.id] if s.needs_visit]
        if entries:
            visits, _ = record_knock(user=user, resident=member, entries=entries, today=today)
            recorded += visits
    return recorded


class UndoRefused(ValueError):
    """The visit can no longer be undone by this user."""


def can_undo(visit: Visit, user, now: datetime) -> bool:
    """Only its author, only for a few minutes, only once."""
    return (
        visit.undone_at is None
        and visit.user_id == user.id
        and now - visit.created_at <= UNDO_WINDOW
    )


def undo_knock(visit: Visit, *, user, now: datetime, today: date) -> list[Visit]:
    """Take back a knock just recorded (the visit and those of the same knock): they stay in the
    history, marked undone, their effects reversed."""
    visits = [v for v in knock_of(visit.client_uuid) if v.undone_at is None]
    if not visits or not all(can_undo(v, user, now) for v in visits):
        raise UndoRefused(visit.id)
    resident = visit.resident
    before = {v.id: standing_of(resident, v.campaign, today) for v in visits}
    for undone in visits:
        undone.undone_at = now
        if undone.resident_status_before:
            resident.status = ResidentStatus(undone.resident_status_before)
    db.session.execute(delete(Dose).where(Dose.visit_id.in_([v.id for v in visits])))
    db.session.flush()
    db.session.refresh(resident, ["doses"])
    for undone in visits:
        after = standing_of(resident, undone.campaign, today)
        record(
            "visit.undo", "visit", undone.id, unit_id=resident.hamlet_id, user=user,
            before={"standing": before[undone.id].value},
            after={"standing": after.value, "undone": True},
        )
    return visits
