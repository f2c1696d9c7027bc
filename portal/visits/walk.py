"""The screener's walk through a hamlet: households, residents, what each still needs across
the open campaigns, and who still needs a visit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.models import Household, Resident
from portal.units.models import AdministrativeUnit
from portal.vaccination.booking import open_appointments
from portal.visits.outcomes import Standing
from portal.visits.standings import CampaignStanding, needing_visits, open_in, standings_in

HOUSEHOLDS_PER_PAGE = 12


@dataclass
class ResidentRow:
    """A resident as the walk shows them: where they stand in each campaign that targets them."""

    resident: Resident
    standings: list[CampaignStanding]
    appointments: list = field(default_factory=list)  # bookings not yet closed

    @property
    def needs(self) -> list[CampaignStanding]:
        """The campaigns the person is not up to date for (targeted, still to record)."""
        return [s for s in self.standings if s.to_record]

    @property
    def needs_visit(self) -> bool:
        return any(s.needs_visit for s in self.standings)

    @property
    def settled(self) -> Standing | None:
        """For someone who needs nothing: why (up to date, left, not targeted by any campaign)."""
        if self.needs or not self.standings:
            return None
        return next((s.standing for s in self.standings
                     if s.standing is not Standing.NOT_TARGETED), Standing.NOT_TARGETED)


@dataclass
class HouseholdRow:
    """A household and its residents, those needing a visit first."""

    household: Household | None
    residents: list[ResidentRow] = field(default_factory=list)

    @property
    def to_visit(self) -> int:
        return sum(1 for r in self.residents if r.needs_visit)


@dataclass
class WalkPage:
    """One page of a hamlet's walk, with the hamlet's totals."""

    households: list[HouseholdRow]
    page: int
    has_more: bool
    residents: int
    to_visit: int


def hamlet_walk(
    hamlet: AdministrativeUnit, campaigns: list[Campaign], today: date, page: int = 1,
    only_to_visit: bool = False,
) -> WalkPage:
    """Households of the hamlet, those with someone still to visit first, one page at a time.

    Whether each resident still needs a visit is read for all of them (the order and the totals
    need it): the database says in which campaigns each is targeted and lacks the dose, their
    latest visits say the rest; only the page's households are loaded whole, with every standing,
    to be shown.
    """
    ids = select(Resident.id).where(Resident.hamlet_id == hamlet.id)
    people = db.session.execute(
        select(Resident.id, Resident.household_id, Household.code, *open_in(campaigns))
        .outerjoin(Household, Household.id == Resident.household_id)
        .where(Resident.hamlet_id == hamlet.id)
    ).all()
    needing = needing_visits(campaigns, {person[0]: person[3:] for person in people}, today,
                             among=ids)
    by_household: dict[int | None, list[int]] = {}
    codes: dict[int | None, str] = {}
    for resident_id, household_id, code, *_ in people:
        by_household.setdefault(household_id, []).append(resident_id)
        codes[household_id] = code or ""
    to_visit = {key: sum(1 for resident_id in members if resident_id in needing)
                for key, members in by_household.items()}
    keys = sorted(by_household, key=lambda key: (to_visit[key] == 0, codes[key]))
    if only_to_visit:
        keys = [key for key in keys if to_visit[key]]
    start = (page - 1) * HOUSEHOLDS_PER_PAGE
    chunk = keys[start:start + HOUSEHOLDS_PER_PAGE]
    return WalkPage(
        households=_households(hamlet, chunk, campaigns, today),
        page=page,
        has_more=start + HOUSEHOLDS_PER_PAGE < len(keys),
        residents=len(people),
        to_visit=sum(to_visit.values()),
    )


def _households(hamlet: AdministrativeUnit, keys: list[int | None], campaigns: list[Campaign],
                today: date) -> list[HouseholdRow]:
    """The households of one page, their residents loaded whole with their standings, in the
    page's order."""
    wanted = [key for key in keys if key is not None]
    condition = Resident.household_id.in_(wanted)
    if None in keys:
        condition = condition | Resident.household_id.is_(None)
    residents = list(db.session.scalars(
        select(Resident).where(Resident.hamlet_id == hamlet.id, condition)
        .options(selectinload(Resident.household))))
    standings = standings_in(campaigns, residents, today)
    booked = open_appointments([r.id for r in residents])
    rows = {key: HouseholdRow(None) for key in keys}
    for resident in residents:
        row = rows[resident.household_id]
        row.household = resident.household
        row.residents.append(ResidentRow(resident, standings[resident.id],
                                         booked.get(resident.id, [])))
    for row in rows.values():
        row.residents.sort(key=lambda r: (not r.needs_visit, r.resident.birth_year))
    return [rows[key] for key in keys]


def household_walk(household: Household, campaigns: list[Campaign], today: date) -> HouseholdRow:
    """One household as the walk shows it (after its members were all found out, say)."""
    residents = list(db.session.scalars(
        select(Resident).where(Resident.household_id == household.id)
        .order_by(Resident.birth_year)))
    standings = standings_in(campaigns, residents, today)
    booked = open_appointments([r.id for r in residents])
    row = HouseholdRow(household, [ResidentRow(r, standings[r.id], booked.get(r.id, []))
                                   for r in residents])
    row.residents.sort(key=lambda r: (not r.needs_visit, r.resident.birth_year))
    return row
