"""How far the walk has got: residents and residents visited in a campaign, per hamlet."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select

from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.models import Resident, ResidentStatus
from portal.scope import hamlets_in_scope
from portal.units.models import AdministrativeUnit
from portal.visits.models import Visit


@dataclass
class HamletProgress:
    """How far the walk of one hamlet has got in a campaign."""

    hamlet: AdministrativeUnit
    residents: int = 0
    visited: int = 0

    @property
    def percent_visited(self) -> float:
        return 100.0 * self.visited / self.residents if self.residents else 0.0


def hamlet_progress(user, campaign: Campaign | None) -> list[HamletProgress]:
    """Residents present and residents visited in the campaign, per hamlet in scope."""
    hamlets = db.session.scalars(
        select(AdministrativeUnit)
        .where(AdministrativeUnit.id.in_(hamlets_in_scope(user)))
        .order_by(AdministrativeUnit.path)
    ).all()
    rows = {h.id: HamletProgress(h) for h in hamlets}
    present = (
        select(Resident.hamlet_id, func.count())
        .where(Resident.hamlet_id.in_(rows), Resident.status == ResidentStatus.PRESENT)
        .group_by(Resident.hamlet_id)
    )
    for hamlet_id, count in db.session.execute(present):
        rows[hamlet_id].residents = count
    if campaign is not None:
        visited = (
            select(Resident.hamlet_id, func.count(distinct(Visit.resident_id)))
            .join(Resident, Visit.resident_id == Resident.id)
            .where(Visit.counts_in(campaign), Resident.hamlet_id.in_(rows))
            .group_by(Resident.hamlet_id)
        )
        for hamlet_id, count in db.session.execute(visited):
            rows[hamlet_id].visited = count
    return list(rows.values())
