"""The figures each role's home page shows, computed within the user's scope."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask import g, has_request_context
from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import contains_eager

from portal.auth.models import Role, User
from portal.campaigns.models import Campaign
from portal.lists.models import ComplianceList, ListState
from portal.residents.ages import aged_at_least
from portal.residents.models import Dose, DoseKind, Resident, ResidentStatus
from portal.scope import hamlets_in_scope, units_in_scope
from portal.units.models import AdministrativeUnit, UnitLevel
from portal.extensions import db
from portal.visits.models import Visit


def active_campaign(user: User) -> Campaign | None:
    """The newest active campaign that covers the user's unit (or runs inside it).

    Looked up once per request: a view and the templates it renders may all ask.
    """
    cache = g.setdefault("active_campaigns", {}) if has_request_context() else {}
    if user.id not in cache:
        unit_path = user.unit.path
        campaigns = db.session.scalars(
            select(Campaign)
            .join(Campaign.unit)
            .options(contains_eager(Campaign.unit))
            .where(Campaign.active.is_(True))
            .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        )
        cache[user.id] = next(
            (c for c in campaigns
             if unit_path.startswith(c.unit.path) or c.unit.path.startswith(unit_path)),
            None,
        )
    return cache[user.id]


@dataclass
class HamletProgress:
    """How far the walk of one hamlet has got in a campaign."""

    hamlet: AdministrativeUnit
    residents: int = 0
    visited: int = 0

    @property
    def percent_visited(self) -> float:
        return 100.0 * self.visited / self.residents if self.residents else 0.0


def hamlet_progress(user: User, campaign: Campaign | None) -> list[HamletProgress]:
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
            .where(
                Visit.campaign_id == campaign.id,
                Visit.undone_at.is_(None),
                Resident.hamlet_id.in_(rows),
            )
            .group_by(Resident.hamlet_id)
        )
        for hamlet_id, count in db.session.execute(visited):
            rows[hamlet_id].visited = count
    return list(rows.values())


@dataclass
class Coverage:
    """Dose coverage among adults of one commune."""

    commune: AdministrativeUnit
    adults: int = 0
    doses: dict[DoseKind, int] = field(default_factory=lambda: defaultdict(int))

    def percent(self, kind: DoseKind) -> float:
        return 100.0 * self.doses[kind] / self.adults if self.adults else 0.0


def commune_coverage(user: User, campaign: Campaign | None) -> list[Coverage]:
    """Adults (18+ on the campaign's reference date) and how many have each dose, per commune."""
    communes = db.session.scalars(
        select(AdministrativeUnit)
        .where(
            AdministrativeUnit.id.in_(units_in_scope(user)),
            AdministrativeUnit.level == UnitLevel.COMMUNE,
        )
        .order_by(AdministrativeUnit.name)
    ).all()
    rows = {c.id: Coverage(c) for c in communes}
    if not rows or campaign is None:
        return list(rows.values())
    adult = aged_at_least(18, campaign.age_reference_date)
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


def approved_lists(user: User) -> list[ComplianceList]:
    """Approved compliance lists of the communes in scope, newest first."""
    return db.session.scalars(
        select(ComplianceList)
        .where(
            ComplianceList.state == ListState.APPROVED,
            ComplianceList.commune_id.in_(units_in_scope(user)),
        )
        .order_by(ComplianceList.reviewed_at.desc())
    ).all()


def lists_waiting(user: User) -> list[ComplianceList]:
    """Submitted lists of the communes in scope waiting for review, oldest first."""
    return db.session.scalars(
        select(ComplianceList)
        .where(
            ComplianceList.state == ListState.SUBMITTED,
            ComplianceList.commune_id.in_(units_in_scope(user)),
        )
        .order_by(ComplianceList.submitted_at)
    ).all()


def accounts_by_role(user: User) -> dict[Role, int]:
    """How many accounts of each role there are within scope."""
    counts = db.session.execute(
        select(User.role, func.count())
        .where(User.unit_id.in_(units_in_scope(user)))
        .group_by(User.role)
    )
    return {role: count for role, count in counts}


def units_by_level(user: User) -> dict[UnitLevel, int]:
    """How many units of each level lie within scope."""
    counts = db.session.execute(
        select(AdministrativeUnit.level, func.count())
        .where(AdministrativeUnit.id.in_(units_in_scope(user)))
        .group_by(AdministrativeUnit.level)
    )
    return {level: count for level, count in counts}
