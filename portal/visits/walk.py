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
from portal.visits.outcomes import Standing
from portal.visits.standings import CampaignStanding, standings_in

HOUSEHOLDS_PER_PAGE = 12


@dataclass
class ResidentRow:
    """A resident as the walk shows them: where they stand in each campaign that targets them."""

    resident: Resident
    standings: list[CampaignStanding]

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
    """Households of the hamlet, those with someone still to visit first, one page at a time."""
    residents = list(db.session.scalars(
        select(Resident)
        .where(Resident.hamlet_id == hamlet.id)
        .options(selectinload(Resident.household))
        .order_by(Resident.household_id, Resident.birth_year)
    ))
    standings = standings_in(campaigns, residents, today)
    households: dict[int | None, HouseholdRow] = {}
    for resident in residents:
        row = households.setdefault(resident.household_id, HouseholdRow(resident.household))
        row.residents.append(ResidentRow(resident, standings[resident.id]))
    rows = list(households.values())
    for row in rows:
        row.residents.sort(key=lambda r: (not r.needs_visit, r.resident.birth_year))
    rows.sort(key=lambda h: (h.to_visit == 0, h.household.code if h.household else ""))
    total_to_visit = sum(h.to_visit for h in rows)
    if only_to_visit:
        rows = [h for h in rows if h.to_visit]
    start = (page - 1) * HOUSEHOLDS_PER_PAGE
    chunk = rows[start:start + HOUSEHOLDS_PER_PAGE]
    return WalkPage(
        households=chunk,
        page=page,
        has_more=start + HOUSEHOLDS_PER_PAGE < len(rows),
        residents=len(residents),
        to_visit=total_to_visit,
    )


def household_walk(household: Household, campaigns: list[Campaign], today: date) -> HouseholdRow:
    """One household as the walk shows it (after its members were all found out, say)."""
    residents = list(db.session.scalars(
        select(Resident).where(Resident.household_id == household.id)
        .order_by(Resident.birth_year)))
    standings = standings_in(campaigns, residents, today)
    row = HouseholdRow(household, [ResidentRow(r, standings[r.id]) for r in residents])
    row.residents.sort(key=lambda r: (not r.needs_visit, r.resident.birth_year))
    return row
