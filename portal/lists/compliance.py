"""Who is on a commune's compliance list for a campaign, and why: computed, never stored.

The list is every resident of the campaign's target population who is not up to date, with
the reason their latest visit gave (or "not yet visited"). It is read from the standings kept
as each visit, dose and import is saved (portal/coverage), the rows every coverage figure is
summed from, and each standing is the walk's rule (visits/outcomes.py), so none of them can
disagree. Submitting a list freezes these rows (lists/workflow.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from portal.campaigns.models import Campaign
from portal.campaigns.rules import DOSE_ORDER
from portal.coverage.models import CampaignStanding
from portal.extensions import db
from portal.lists.models import ComplianceReason
from portal.residents.models import Dose, Household, Resident, ResidentStatus, Sex
from portal.text import natural_key
from portal.units.models import AdministrativeUnit, UnitLevel
from portal.visits.models import Outcome, ScreeningCategory
from portal.visits.outcomes import Standing, standing

# What each standing means for the list; None: not on it (up to date, not targeted, left).
REASON_BY_STANDING: dict[Standing, ComplianceReason | None] = {
    Standing.NOT_TARGETED: None,
    Standing.LEFT: None,  # moved away or deceased: out of the population
    Standing.UP_TO_DATE: None,
    Standing.TO_VISIT: ComplianceReason.NOT_VISITED,
    Standing.WILLING: ComplianceReason.WILLING,
    Standing.REFUSED: ComplianceReason.REFUSED,
    Standing.CONTRAINDICATED: ComplianceReason.CONTRAINDICATED,
    Standing.DEFERRED: ComplianceReason.DEFERRED,
    # The deferral is over: the person is due again, as if never visited for this dose.
    Standing.DEFERRAL_ENDED: ComplianceReason.NOT_VISITED,
    Standing.CAUTION: ComplianceReason.CAUTION,
    Standing.HOMEBOUND: ComplianceReason.HOMEBOUND,
    Standing.HOSPITALISED: ComplianceReason.HOSPITALISED,
    Standing.ABSENT: ComplianceReason.ABSENT,
}


@dataclass(frozen=True)
class Entry:
    """One person on the list, as a snapshot would freeze them."""

    resident: ListPerson
    hamlet: AdministrativeUnit
    standing: Standing
    reason: ComplianceReason
    visit: LatestVisit | None
    doses_received: int

    @property
    def deferred_until(self) -> date | None:
        return self.visit.deferred_until if self.visit is not None else None


def compliance_reason(standing: Standing) -> ComplianceReason | None:
    """Why someone with this standing is on the list, or None when they are not on it."""
    return REASON_BY_STANDING[standing]


@dataclass(frozen=True, slots=True)
class ListHousehold:
    """What a list says of a person's household."""

    code: str
    address: str
    guardian_name: str | None
    guardian_phone: str | None


@dataclass(frozen=True, slots=True)
class ListPerson:
    """What a list says of a person: read as columns, not as records (a commune's list holds
    thousands of people, and is computed on every preview)."""

    id: int
    hamlet_id: int
    full_name: str
    name_folded: str
    birth_date: date | None
    birth_year: int
    sex: Sex
    id_number: str | None
    phone: str | None
    guardian_name: str | None
    guardian_phone: str | None
    household: ListHousehold | None


@dataclass(frozen=True, slots=True)
class LatestVisit:
    """What the list reads of the visit that counts: its outcome and a deferral's end."""

    outcome: Outcome
    screening_category: ScreeningCategory | None
    deferred_until: date | None


def compile_list(campaign: Campaign, commune: AdministrativeUnit, today: date) -> list[Entry]:
    """The list of a commune for a campaign today, ordered by hamlet, household and name.

    Its people are the kept standings' (portal.coverage) that are targeted and not up to date,
    each with what their latest visit said, and their standing by the one rule
    (outcomes.standing): the same rows every coverage figure is summed from.
    """
    return _entries_of(campaign, hamlets_in_order(commune), today)


@dataclass
class Preview:
    """What the lead sees of today's list before submitting it: its first rows, and how many
    people it holds by reason and by hamlet (the same list compile_list gives whole)."""

    entries: list[Entry]
    total: int
    by_reason: Counter
    by_hamlet: dict[str, Counter]


def preview_list(campaign: Campaign, commune: AdministrativeUnit, today: date,
                 rows: int) -> Preview:
    """The list's first rows, read hamlet by hamlet until there are enough, and its counts
    from the kept sums: a preview without reading the whole list."""
    from portal.coverage.figures import by_hamlet

    hamlets = hamlets_in_order(commune)
    figures = by_hamlet(campaign, [h.id for h in hamlets], today)
    by_hamlet_counts: dict[str, Counter] = {}
    for hamlet in (h for h in hamlets if h.id in figures):
        counted = Counter()
        for standing_, people in figures[hamlet.id].standings.items():
            reason = REASON_BY_STANDING[standing_]
            if reason is not None and people:
                counted[reason] += people
        if counted:
            by_hamlet_counts[hamlet.name] = counted
    by_reason = sum(by_hamlet_counts.values(), Counter())
    first: list[Entry] = []
    for hamlet in hamlets:
        if len(first) >= rows:
            break
        if hamlet.name in by_hamlet_counts:
            first += _entries_of(campaign, [hamlet], today)
    return Preview(first[:rows], sum(by_reason.values()), by_reason, by_hamlet_counts)


def hamlets_in_order(commune: AdministrativeUnit) -> list[AdministrativeUnit]:
    """A commune's hamlets in the list's order: Khu vực 1, 2, ... 10."""
    if commune.level is not UnitLevel.COMMUNE:
        raise ValueError(f"{commune.name} is not a commune")
    return sorted(db.session.scalars(
        select(AdministrativeUnit).where(AdministrativeUnit.parent_id == commune.id)),
        key=lambda h: (natural_key(h.name), h.id))


def _entries_of(campaign: Campaign, hamlets: list[AdministrativeUnit],
                today: date) -> list[Entry]:
    """The list's rows of these hamlets (in their order), by household and name."""
    by_id = {h.id: h for h in hamlets}
    kept = CampaignStanding
    on_it = (kept.campaign_id == campaign.id, kept.hamlet_id.in_(list(by_id)),
             kept.up_to_date.is_(False))
    rows = db.session.execute(
        select(Resident.id, Resident.hamlet_id, Resident.full_name, Resident.name_folded,
               Resident.birth_date, Resident.birth_year, Resident.sex, Resident.id_number,
               Resident.phone, Resident.guardian_name, Resident.guardian_phone,
               Household.code, Household.address, Household.guardian_name,
               Household.guardian_phone, kept.outcome, kept.screening_category,
               kept.deferred_until)
        .select_from(kept).join(Resident, Resident.id == kept.resident_id)
        .outerjoin(Household, Household.id == Resident.household_id)
        .where(*on_it))
    # The doses of the schedule up to the campaign's that each has received.
    counted = DOSE_ORDER[:DOSE_ORDER.index(campaign.required_dose) + 1]
    received = dict(db.session.execute(
        select(Dose.resident_id, func.count())
        .where(Dose.kind.in_(counted),
               Dose.resident_id.in_(select(kept.resident_id).where(*on_it)))
        .group_by(Dose.resident_id)).all())
    entries = []
    for row in rows:
        person = _person(row[:15])
        outcome, category, until = row[15:]
        visit = None if outcome is None else LatestVisit(outcome, category, until)
        standing_ = standing(resident_status=ResidentStatus.PRESENT, targeted=True,
                             up_to_date=False, latest_visit=visit, today=today)
        reason = REASON_BY_STANDING[standing_]
        if reason is None:
            continue
        entries.append(Entry(person, by_id[person.hamlet_id], standing_, reason, visit,
                             received.get(person.id, 0)))
    order = {h.id: n for n, h in enumerate(hamlets)}
    entries.sort(key=lambda e: (order[e.hamlet.id],
                                e.resident.household.code if e.resident.household
                                else "", e.resident.name_folded, e.resident.id))
    return entries


def _person(row) -> ListPerson:
    (resident_id, hamlet_id, full_name, name_folded, birth_date, birth_year, sex, id_number,
     phone, guardian_name, guardian_phone, code, address, household_guardian,
     household_guardian_phone) = row
    household = None if code is None else ListHousehold(
        code, address, household_guardian, household_guardian_phone)
    return ListPerson(resident_id, hamlet_id, full_name, name_folded, birth_date, birth_year,
                      sex, id_number, phone, guardian_name, guardian_phone, household)


def counts_by_reason(entries: list[Entry]) -> Counter:
    return Counter(e.reason for e in entries)


def counts_by_hamlet(entries: list[Entry]) -> dict[str, Counter]:
    """For each hamlet (in list order), how many people for each reason."""
    table: dict[str, Counter] = {}
    for entry in entries:
        table.setdefault(entry.hamlet.name, Counter())[entry.reason] += 1
    return table
