"""Standings of residents in a campaign, read from the database for one or many residents."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Select, func, select

from portal.campaigns.models import Campaign
from portal.campaigns.rules import has_required_dose, is_targeted
from portal.extensions import db
from portal.residents.models import Dose, DoseKind, Resident
from portal.visits.models import Visit
from portal.visits.outcomes import Standing, standing


def latest_visit_ids(campaign: Campaign) -> Select:
    """Ids of the visit that counts for each resident: their latest in the campaign not undone.

    A subquery to narrow with joins and conditions (whose residents, which hamlets).
    """
    return (select(func.max(Visit.id)).where(Visit.counts_in(campaign))
            .group_by(Visit.resident_id))


def latest_visits(campaign: Campaign, resident_ids) -> dict[int, Visit]:
    """The visit that counts of each of these residents in the campaign."""
    newest = latest_visit_ids(campaign).where(Visit.resident_id.in_(resident_ids))
    visits = db.session.scalars(select(Visit).where(Visit.id.in_(newest)))
    return {v.resident_id: v for v in visits}


def dose_kinds(resident_ids) -> dict[int, set[DoseKind]]:
    """Which doses each resident has."""
    kinds: dict[int, set[DoseKind]] = defaultdict(set)
    rows = db.session.execute(
        select(Dose.resident_id, Dose.kind).where(Dose.resident_id.in_(resident_ids))
    )
    for resident_id, kind in rows:
        kinds[resident_id].add(kind)
    return kinds


def standing_of(
    resident: Resident, campaign: Campaign, today: date, latest_visit: Visit | None = None
) -> Standing:
    """One resident's standing (reads their doses and, unless given, their latest visit)."""
    if latest_visit is None:
        latest_visit = latest_visits(campaign, [resident.id]).get(resident.id)
    return standing(
        resident_status=resident.status,
        targeted=is_targeted(resident, campaign),
        up_to_date=has_required_dose((d.kind for d in resident.doses), campaign),
        latest_visit=latest_visit,
        today=today,
    )


def standing_from_history(
    resident: Resident, campaign: Campaign, today: date, visits: list[Visit]
) -> Standing:
    """One resident's standing from their visits already loaded (any campaign, undone too)."""
    current = [v for v in visits if v.counts_in(campaign)]
    return standing(
        resident_status=resident.status,
        targeted=is_targeted(resident, campaign),
        up_to_date=has_required_dose((d.kind for d in resident.doses), campaign),
        latest_visit=max(current, key=lambda v: v.id, default=None),
        today=today,
    )


def standings_of(
    residents: list[Resident], campaign: Campaign, today: date
) -> dict[int, tuple[Standing, Visit | None]]:
    """Standing and latest visit of many residents, in three queries."""
    ids = [r.id for r in residents]
    visits = latest_visits(campaign, ids)
    kinds = dose_kinds(ids)
    return {
        r.id: (
            standing(
                resident_status=r.status,
                targeted=is_targeted(r, campaign),
                up_to_date=has_required_dose(kinds.get(r.id, ()), campaign),
                latest_visit=visits.get(r.id),
                today=today,
            ),
            visits.get(r.id),
        )
        for r in residents
    }
