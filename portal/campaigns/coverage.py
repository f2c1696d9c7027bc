"""A campaign's coverage in each commune in scope: its target population, and how many of them
have its dose (or a later one), as the district compares communes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.campaigns.models import Campaign
from portal.campaigns.rules import dose_clause, target_clause
from portal.extensions import db
from portal.residents.models import Resident
from portal.scope import communes_of
from portal.units.models import AdministrativeUnit


@dataclass
class Coverage:
    """One commune's target population in a campaign, and those up to date."""

    commune: AdministrativeUnit
    target: int = 0
    up_to_date: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.up_to_date / self.target if self.target else 0.0


def commune_coverage(user, campaign: Campaign | None) -> list[Coverage]:
    """The campaign's target and those with its dose, per commune in scope, in one query."""
    rows = {c.id: Coverage(c) for c in communes_of(user)}
    if not rows or campaign is None:
        return list(rows.values())
    hamlet = AdministrativeUnit
    has_dose = dose_clause(campaign)
    counts = db.session.execute(
        select(hamlet.parent_id, has_dose, func.count())
        .select_from(Resident)
        .join(hamlet, Resident.hamlet_id == hamlet.id)
        .where(hamlet.parent_id.in_(rows), target_clause(campaign))
        .group_by(hamlet.parent_id, has_dose)
    )
    for commune_id, up_to_date, count in counts:
        rows[commune_id].target += count
        if up_to_date:
            rows[commune_id].up_to_date += count
    return list(rows.values())
