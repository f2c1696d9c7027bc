"""The coverage figures of a unit in a campaign: its target population, visited, up to date and
each standing, for the unit and each unit below it, cut by age band, sex and risk group.

One function counts them (`tally`), from the kept sums (portal.coverage.summary) or, to check
them and to measure against, from the raw rows (`live=True`); each group's standing is the one
rule, outcomes.standing. The commune lead's table, the district's and the province's pages,
the daily report and the charts all read these.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import String, func, select
from sqlalchemy.orm import aliased

from portal.campaigns.models import Campaign
from portal.coverage.cuts import AGE_BANDS, RISK_BY_CODE, RiskGroup
from portal.coverage.models import (
    NO_TEXT, CampaignStanding as Row, CoverageCommuneCount, CoverageCount, CoverageDay,
)
from portal.coverage.summary import entries
from portal.extensions import db
from portal.residents.models import Resident, ResidentStatus, Sex
from portal.scope import communes_of
from portal.text import natural_key
from portal.timeutil import today_local
from portal.units.models import AdministrativeUnit, UnitLevel
from portal.visits.models import Outcome, ScreeningCategory
from portal.visits.outcomes import Standing, standing

# The columns of a table of figures, each the standings it counts.
COLUMNS: tuple[tuple[str, frozenset[Standing]], ...] = (
    ("to_visit", frozenset({Standing.TO_VISIT, Standing.DEFERRAL_ENDED})),
    ("willing", frozenset({Standing.WILLING})),
    ("refused", frozenset({Standing.REFUSED})),
    ("contraindicated", frozenset({Standing.CONTRAINDICATED, Standing.CAUTION})),
    ("deferred", frozenset({Standing.DEFERRED})),
    ("homebound", frozenset({Standing.HOMEBOUND})),
    ("hospitalised", frozenset({Standing.HOSPITALISED})),
    ("absent", frozenset({Standing.ABSENT})),
    ("up_to_date", frozenset({Standing.UP_TO_DATE})),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)
# The reasons a targeted person is not up to date: the stacked bar of "why not".
REASONS = tuple(name for name in COLUMN_NAMES if name != "up_to_date")


@dataclass
class Figures:
    """A part of a campaign's target population: how many, visited, and by standing."""

    target: int = 0
    visited: int = 0
    standings: Counter = field(default_factory=Counter)

    @property
    def up_to_date(self) -> int:
        return self.standings[Standing.UP_TO_DATE]

    @property
    def percent(self) -> float:
        """Coverage: the share up to date."""
        return 100.0 * self.up_to_date / self.target if self.target else 0.0

    @property
    def percent_visited(self) -> float:
        return 100.0 * self.visited / self.target if self.target else 0.0

    def column(self, name: str) -> int:
        wanted = dict(COLUMNS)[name]
        return sum(n for standing_, n in self.standings.items() if standing_ in wanted)

    def add(self, standing_: Standing, visited: bool, people: int) -> None:
        self.target += people
        self.standings[standing_] += people
        if visited:
            self.visited += people


@dataclass(frozen=True)
class Cuts:
    """Which part of the target population a figure is of: an age band, a sex, a risk group
    (None: all)."""

    band: int | None = None
    sex: Sex | None = None
    risk: RiskGroup | None = None

    def admit(self, band: int, sex: str, risk: int, *, ignoring: str = "") -> bool:
        return ((ignoring == "band" or self.band is None or band == self.band)
                and (ignoring == "sex" or self.sex is None or sex == self.sex)
                and (ignoring == "risk" or self.risk is None or self.risk.includes(band, risk)))

    @property
    def any(self) -> bool:
        return self.band is not None or self.sex is not None or self.risk is not None

    def conditions(self, band, sex, risk) -> list:
        """admit, as SQL conditions on a band, a sex and a risk column."""
        conditions = []
        if self.band is not None:
            conditions.append(band == self.band)
        if self.sex is not None:
            conditions.append(sex == self.sex)
        if self.risk is not None:
            conditions.append(self.risk.clause(band, risk))
        return conditions


ALL = Cuts()


@dataclass
class Coverage:
    """A unit's figures in a campaign: overall, for each unit below it, and by each cut."""

    unit: AdministrativeUnit
    campaign: Campaign
    cuts: Cuts
    total: Figures = field(default_factory=Figures)
    below: list[tuple[AdministrativeUnit, Figures]] = field(default_factory=list)
    by_band: dict[int, Figures] = field(default_factory=dict)
    by_sex: dict[str, Figures] = field(default_factory=dict)
    by_risk: dict[str, Figures] = field(default_factory=dict)


def standing_of_group(up_to_date: bool, outcome: str, category: str, deferring: bool | None,
                      today: date) -> Standing:
    """The standing of everyone of a group of the kept sums: outcomes.standing itself, given
    what the group says of the latest visit (a deferral still running or not, not its day)."""
    latest = None
    if outcome:
        until = None if deferring is None else today + timedelta(days=1 if deferring else 0)
        latest = SimpleNamespace(outcome=Outcome(outcome),
                                 screening_category=ScreeningCategory(category) if category
                                 else None, deferred_until=until)
    return standing(resident_status=ResidentStatus.PRESENT, targeted=True,
                    up_to_date=bool(up_to_date), latest_visit=latest, today=today)


def tally(campaign: Campaign, unit_ids, today: date, *, of: str = "hamlet", hops: int = 0,
          cuts: Cuts = ALL, per_unit: bool = True, per_cut: bool = False, live: bool = False):
    """The campaign's target population of these hamlets (of="hamlet") or communes
    (of="commune"), ids or an id subquery, of the cuts, in groups: (unit id, band, sex, risk
    bits, standing, visited, people). The unit is the hamlet or commune, or the unit `hops`
    levels above it (1: a hamlet's commune, a commune's district); None unless per_unit. Band,
    sex and risk bits are None unless per_cut. From the kept sums (a commune's sums for
    communes), or with live=True from the raw rows (what the sums must equal)."""
    if live:
        hamlets = unit_ids if of == "hamlet" else select(AdministrativeUnit.id).where(
            AdministrativeUnit.parent_id.in_(unit_ids))
        rows = entries(campaign).where(Resident.hamlet_id.in_(hamlets)).subquery()
        c = rows.c
        source = SimpleNamespace(
            unit_id=c[f"{of}_id"], band=c.band, sex=c.sex, risk=c.risk, up_to_date=c.up_to_date,
            outcome=func.coalesce(c.outcome, NO_TEXT, type_=String),
            category=func.coalesce(c.screening_category, NO_TEXT, type_=String),
            until=c.deferred_until, people=func.count(), table=rows, where=())
    else:
        k = CoverageCount if of == "hamlet" else CoverageCommuneCount
        unit = getattr(k, f"{of}_id")
        source = SimpleNamespace(
            unit_id=unit, band=k.band, sex=k.sex, risk=k.risk, up_to_date=k.up_to_date,
            outcome=k.outcome, category=k.screening_category, until=k.deferred_until,
            people=func.sum(k.people), table=k,
            where=(k.campaign_id == campaign.id, unit.in_(unit_ids)))
    unit_id, climbed = source.unit_id, []
    for _ in range(hops if per_unit else 0):
        above = aliased(AdministrativeUnit)
        climbed.append((above, above.id == unit_id))
        unit_id = above.parent_id
    unit_key = [unit_id] if per_unit else []
    cut_keys = [source.band, source.sex, source.risk] if per_cut else []
    keys = (*unit_key, *cut_keys, source.up_to_date, source.outcome, source.category,
            source.until > today)
    statement = select(*keys, source.people).select_from(source.table)
    for above, condition in climbed:
        statement = statement.join(above, condition)
    statement = statement.where(*source.where, *cuts.conditions(
        source.band, source.sex, source.risk)).group_by(*keys)
    standings: dict[tuple, Standing] = {}
    groups = []
    for row in db.session.execute(statement):
        unit = row[0] if per_unit else None
        band, sex, risk = row[len(unit_key):len(unit_key) + 3] if per_cut else (None,) * 3
        up_to_date, outcome, category, still, people = row[-5:]
        deferred = bool(still) if outcome and category == ScreeningCategory.DEFERRAL else None
        made_of = (bool(up_to_date), outcome, category, deferred)
        if made_of not in standings:
            standings[made_of] = standing_of_group(*made_of, today)
        groups.append((unit, band, None if sex is None else str(sex), risk, standings[made_of],
                       bool(outcome), int(people)))
    return groups


def by_hamlet(campaign: Campaign, hamlet_ids, today: date, cuts: Cuts = ALL, *,
              live: bool = False) -> dict[int, Figures]:
    """Each hamlet's figures (of the cuts)."""
    figures: dict[int, Figures] = defaultdict(Figures)
    for hamlet_id, _band, _sex, _risk, standing_, visited, people in tally(
            campaign, hamlet_ids, today, cuts=cuts, live=live):
        figures[hamlet_id].add(standing_, visited, people)
    return dict(figures)


def coverage_of(unit: AdministrativeUnit, campaign: Campaign, today: date, cuts: Cuts = ALL,
                *, live: bool = False) -> Coverage:
    """A unit's coverage: its own figures, each unit just below it (its hamlets for a commune),
    and the figures by band, sex and risk group; each of the cuts asked, the breakdowns by a
    cut keeping the other cuts."""
    below = _children(unit)
    # A commune from its hamlets' sums; a district or a province from its communes'.
    of = "hamlet" if unit.level is UnitLevel.COMMUNE else "commune"
    units = _under(unit, UnitLevel(of))
    hops = _levels_to_children(unit, units)
    result = Coverage(unit, campaign, cuts)
    per_child: dict[int, Figures] = {child.id: Figures() for child in below}
    by_band = {band.code: Figures() for band in AGE_BANDS}
    by_sex = {sex.value: Figures() for sex in Sex}
    by_risk = {code: Figures() for code in RISK_BY_CODE}
    ids = list(units)
    # The units below, of the cuts, summed in the database; then the cuts of the whole unit.
    for child, _band, _sex, _risk, standing_, visited, people in tally(
            campaign, ids, today, of=of, hops=hops, cuts=cuts, live=live):
        result.total.add(standing_, visited, people)
        if child in per_child:
            per_child[child].add(standing_, visited, people)
    for _unit, band, sex, risk, standing_, visited, people in tally(
            campaign, ids, today, of=of, per_unit=False, per_cut=True, live=live):
        if cuts.admit(band, sex, risk, ignoring="band"):
            by_band[band].add(standing_, visited, people)
        if cuts.admit(band, sex, risk, ignoring="sex") and sex in by_sex:
            by_sex[sex].add(standing_, visited, people)
        if cuts.admit(band, sex, risk, ignoring="risk"):
            for code, group in RISK_BY_CODE.items():
                if group.includes(band, risk):
                    by_risk[code].add(standing_, visited, people)
    result.below = [(child, per_child[child.id]) for child in below]
    result.by_band = by_band
    result.by_sex = by_sex
    result.by_risk = by_risk
    return result


def weekly_coverage(unit: AdministrativeUnit, campaign: Campaign, weeks: int, today: date,
                    up_to_date: int) -> list[tuple[date, int]]:
    """How many of the unit's target population were up to date at the end of each of the last
    weeks (Sunday; the current week to today), by the day of their dose, given how many are up
    to date now: those now, less those whose dose came after the week's end (so that only the
    last weeks' days are read). Doses without a day count in every week."""
    last_sunday = today - timedelta(days=(today.weekday() + 1) % 7)
    ends = sorted({today, *(last_sunday - timedelta(weeks=n) for n in range(weeks - 1))}
                  ) if weeks else []
    if not ends:
        return []
    later = dict(db.session.execute(
        select(CoverageDay.day, func.sum(CoverageDay.people))
        .where(CoverageDay.campaign_id == campaign.id,
               CoverageDay.hamlet_id.in_(select(AdministrativeUnit.id).where(
                   AdministrativeUnit.lies_within(unit),
                   AdministrativeUnit.level == UnitLevel.HAMLET)),
               CoverageDay.day > ends[0])
        .group_by(CoverageDay.day)).all())
    return [(end, up_to_date - sum(int(n) for day, n in later.items() if day > end))
            for end in ends]


def _under(unit: AdministrativeUnit, level: UnitLevel) -> dict[int, int]:
    """The units of a level at or below the unit, by id, with their depths."""
    return dict(db.session.execute(
        select(AdministrativeUnit.id, AdministrativeUnit.depth)
        .where(AdministrativeUnit.lies_within(unit), AdministrativeUnit.level == level)).all())


def _children(unit: AdministrativeUnit) -> list[AdministrativeUnit]:
    children = db.session.scalars(select(AdministrativeUnit).where(
        AdministrativeUnit.parent_id == unit.id))
    return sorted(children, key=lambda u: natural_key(u.name))


def _levels_to_children(unit: AdministrativeUnit, units: dict[int, int]) -> int:
    """How many levels a unit below `unit` (a hamlet, a commune) climbs to the unit just below
    `unit`: 0 for a commune's hamlets or a district's communes, 1 for a province's districts
    from their communes (0 under the 2025 list, with no districts)."""
    depths = set(units.values())
    if len(depths) > 1:
        raise ValueError(f"the units below {unit.code} are not all at one depth: {depths}")
    return max(0, depths.pop() - unit.depth - 1) if depths else 0


@dataclass
class CommuneCoverage:
    """One commune's target population in a campaign, and those up to date."""

    commune: AdministrativeUnit
    target: int = 0
    up_to_date: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.up_to_date / self.target if self.target else 0.0


def commune_coverage(user, campaign: Campaign | None, today: date | None = None,
                     ) -> list[CommuneCoverage]:
    """The campaign's target and those up to date, per commune in the user's scope."""
    rows = {c.id: CommuneCoverage(c) for c in communes_of(user)}
    if not rows or campaign is None:
        return list(rows.values())
    for commune_id, _band, _sex, _risk, standing_, _visited, people in tally(
            campaign, list(rows), today or today_local(), of="commune"):
        rows[commune_id].target += people
        if standing_ is Standing.UP_TO_DATE:
            rows[commune_id].up_to_date += people
    return list(rows.values())


@dataclass(frozen=True)
class Person:
    """One of the people behind a figure, and where they stand."""

    resident: Resident
    band: int
    standing: Standing


def people_of(hamlet: AdministrativeUnit, campaign: Campaign, today: date, cuts: Cuts = ALL,
              column: str | None = None) -> list[Person]:
    """The people of a hamlet's target population that a figure counts (of the cuts, in the
    column if given), by name: the same rows the kept sums were made from."""
    rows = db.session.execute(
        select(Resident, Row.band, Row.sex, Row.risk, Row.up_to_date, Row.outcome,
               Row.screening_category, Row.deferred_until)
        .join(Row, Row.resident_id == Resident.id)
        .where(Row.campaign_id == campaign.id, Row.hamlet_id == hamlet.id)
        .order_by(Resident.name_folded, Resident.id))
    wanted = dict(COLUMNS)[column] if column else None
    people = []
    for resident, band, sex, risk, up_to_date, outcome, category, until in rows:
        if not cuts.admit(band, str(sex), risk):
            continue
        deferred = (until > today if until else False) if (
            outcome and category is ScreeningCategory.DEFERRAL) else None
        standing_ = standing_of_group(up_to_date, outcome.value if outcome else NO_TEXT,
                                      category.value if category else NO_TEXT, deferred, today)
        if wanted is None or standing_ in wanted:
            people.append(Person(resident, band, standing_))
    return people
