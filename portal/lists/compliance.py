"""Who is on a commune's compliance list for a campaign, and why: computed, never stored.

The list is every resident of the campaign's target population who is not up to date, with
the reason their latest visit gave (or "not yet visited"). It is derived from the same
standing the walk shows (visits/outcomes.py), so the two can never disagree. Submitting a
list freezes these rows (lists/workflow.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.campaigns.models import Campaign
from portal.campaigns.rules import DOSE_ORDER, target_clause
from portal.extensions import db
from portal.lists.models import ComplianceReason
from portal.residents.models import Resident
from portal.text import natural_key
from portal.units.models import AdministrativeUnit, UnitLevel
from portal.visits.models import Visit
from portal.visits.outcomes import Standing
from portal.visits.standings import standings_of

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

    resident: Resident
    hamlet: AdministrativeUnit
    standing: Standing
    reason: ComplianceReason
    visit: Visit | None
    doses_received: int

    @property
    def deferred_until(self) -> date | None:
        return self.visit.deferred_until if self.visit is not None else None


def compliance_reason(standing: Standing) -> ComplianceReason | None:
    """Why someone with this standing is on the list, or None when they are not on it."""
    return REASON_BY_STANDING[standing]


def compile_list(campaign: Campaign, commune: AdministrativeUnit, today: date) -> list[Entry]:
    """The list of a commune for a campaign today, ordered by hamlet, household and name."""
    if commune.level is not UnitLevel.COMMUNE:
        raise ValueError(f"{commune.name} is not a commune")
    hamlets = {h.id: h for h in db.session.scalars(
        select(AdministrativeUnit).where(AdministrativeUnit.parent_id == commune.id))}
    residents = db.session.scalars(
        select(Resident)
        .where(Resident.hamlet_id.in_(hamlets), target_clause(campaign))
        .options(selectinload(Resident.household), selectinload(Resident.doses))
    ).all()
    entries = []
    standings = standings_of(list(residents), campaign, today)
    required = DOSE_ORDER.index(campaign.required_dose)
    for resident in residents:
        standing, visit = standings[resident.id]
        reason = REASON_BY_STANDING[standing]
        if reason is None:
            continue
        received = sum(1 for d in resident.doses if DOSE_ORDER.index(d.kind) <= required)
        entries.append(Entry(resident, hamlets[resident.hamlet_id], standing, reason, visit,
                             received))
    entries.sort(key=lambda e: (natural_key(e.hamlet.name), e.hamlet.id,
                                e.resident.household.code if e.resident.household
                                else "", e.resident.name_folded, e.resident.id))
    return entries


def counts_by_reason(entries: list[Entry]) -> Counter:
    return Counter(e.reason for e in entries)


def counts_by_hamlet(entries: list[Entry]) -> dict[str, Counter]:
    """For each hamlet (in list order), how many people for each reason."""
    table: dict[str, Counter] = {}
    for entry in entries:
        table.setdefault(entry.hamlet.name, Counter())[entry.reason] += 1
    return table
