"""Dose coverage among the adults of each commune in scope, as the district compares them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.ages import aged_at_least
from portal.residents.models import Dose, DoseKind, Resident, ResidentStatus
from portal.scope import communes_of
from portal.units.models import AdministrativeUnit

ADULT_AGE = 18
# The doses the district compares communes by: the primary series and the first booster.
COVERAGE_DOSES = (DoseKind.DOSE_1, DoseKind.DOSE_2, DoseKind.BOOSTER_1)


@dataclass
class Coverage:
    """Dose coverage among adults of one commune."""

    commune: AdministrativeUnit
    adults: int = 0
    doses: dict[DoseKind, int] = field(default_factory=lambda: defaultdict(int))

    def percent(self, kind: DoseKind) -> float:
        return 100.0 * self.doses[kind] / self.adults if self.adults else 0.0


def commune_coverage(user, campaign: Campaign | None) -> list[Coverage]:
    """Adults (18+ on the campaign's reference date) and how many have each dose, per commune."""
    rows = {c.id: Coverage(c) for c in communes_of(user)}
    if not rows or campaign is None:
        return list(rows.values())
    adult = aged_at_least(ADULT_AGE, campaign.age_reference_date)
    hamlet = AdministrativeUnit
    adults = (
        select(hamlet.parent_id, func.count())
        .select_from(Resident)
        .join(hamlet, Resident.hamlet_id == hamlet.id)
        .where(hamlet.parent_id.in_(rows), Resident.status == ResidentStatus.PRESENT, adult)
        .group_by(hamlet.parent_id)
    )
    for commune_id, count in db.session.execute(adults):
        rows[commune_id].adults = count
    doses = (
        select(hamlet.parent_id, Dose.kind, func.count())
        .select_from(Dose)
        .join(Resident, Dose.resident_id == Resident.id)
        .join(hamlet, Resident.hamlet_id == hamlet.id)
        .where(hamlet.parent_id.in_(rows), Resident.status == ResidentStatus.PRESENT, adult)
        .group_by(hamlet.parent_id, Dose.kind)
    )
    for commune_id, kind, count in db.session.execute(doses):
        rows[commune_id].doses[kind] = count
    return list(rows.values())
