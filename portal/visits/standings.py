"""Standings of residents in campaigns, read from the database for one or many residents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, func, or_, select

from portal.campaigns.models import Campaign
from portal.campaigns.rules import (
    dose_clause, has_required_dose, is_targeted, next_dose, target_clause,
)
from portal.extensions import db
from portal.residents.models import Dose, DoseKind, Resident, ResidentStatus
from portal.visits.models import Visit
from portal.visits.outcomes import CLOSED, NEEDS_VISIT, Standing, standing


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
    kinds: dict[int, set[DoseKind]] = defaultdict(set)  # resident_ids: ids, or an id subquery
    rows = db.session.execute(
        select(Dose.resident_id, Dose.kind).where(Dose.resident_id.in_(resident_ids))
    )
    for resident_id, kind in rows:
        kinds[resident_id].add(kind)
    return kinds


def standing_of(
    resident: Resident, campaign: Campaign, today: date, latest_visit: Visit | None = None,
    kinds: set[DoseKind] | None = None,
) -> Standing:
    """One resident's standing (reads their doses and, unless given, their latest visit)."""
    if latest_visit is None:
        latest_visit = latest_visits(campaign, [resident.id]).get(resident.id)
    if kinds is None:
        kinds = {d.kind for d in resident.doses}
    return standing(
        resident_status=resident.status,
        targeted=is_targeted(resident, campaign),
        up_to_date=has_required_dose(kinds, campaign),
        latest_visit=latest_visit,
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


@dataclass(frozen=True)
class CampaignStanding:
    """Where a resident stands in one campaign, the visit that says so, and the dose they need."""

    campaign: Campaign
    standing: Standing
    visit: object | None  # the visit that counts: a Visit, or a row of its outcome and details
    next_dose: DoseKind | None

    @property
    def needs_visit(self) -> bool:
        """Someone still has to go back (never visited, absent, willing, refused...)."""
        return self.standing in NEEDS_VISIT

    @property
    def to_record(self) -> bool:
        """Targeted and not up to date: a knock on the door records an outcome for it."""
        return self.standing not in CLOSED and self.standing is not Standing.UP_TO_DATE


def standings_in(campaigns: list[Campaign], residents: list[Resident], today: date,
                 among: Select | None = None) -> dict[int, list[CampaignStanding]]:
    """Each resident's standing in each campaign (in the campaigns' order), in two queries.

    `among`, a subquery of the residents' ids (a hamlet's), reads faster than a list of ids.
    """
    return screening_in(campaigns, residents, today, among)[0]


def screening_in(campaigns: list[Campaign], residents: list[Resident], today: date,
                 among: Select | None = None
                 ) -> tuple[dict[int, list[CampaignStanding]], dict[int, set[DoseKind]]]:
    """standings_in, and the doses each resident has (what a knock's effects read next)."""
    visits, kinds = _read(campaigns, residents, among)
    none: frozenset = frozenset()
    return {resident.id: [
        _campaign_standing(resident, c, kinds.get(resident.id, none),
                           visits.get((resident.id, c.id)), today) for c in campaigns]
        for resident in residents}, kinds


def open_in(campaigns: list[Campaign]) -> list:
    """For each campaign, a SQL condition on Resident: targeted and without its dose, so that a
    knock records for it unless a visit has settled it. needing_visits reads them."""
    return [and_(target_clause(c), ~dose_clause(c)) for c in campaigns]


def needing_visits(campaigns: list[Campaign], open_flags: dict[int, Sequence[bool]],
                   today: date, among: Select) -> set[int]:
    """The residents someone still has to go back to in at least one campaign, from each one's
    open_in flags (by resident id) and their latest visits: the walk's order and totals for a
    whole hamlet (`among`, its residents' ids) without building every standing of everyone."""
    if not campaigns:
        return set()
    visits = _latest_outcomes(campaigns, among)
    needing = set()
    for resident_id, flags in open_flags.items():
        for campaign, is_open in zip(campaigns, flags):
            if is_open and standing(
                    resident_status=ResidentStatus.PRESENT, targeted=True, up_to_date=False,
                    latest_visit=visits.get((resident_id, campaign.id)),
                    today=today) in NEEDS_VISIT:
                needing.add(resident_id)
                break
    return needing


def _read(campaigns: list[Campaign], residents: list, among: Select | None,
          ) -> tuple[dict[tuple[int, int], Visit], dict[int, set[DoseKind]]]:
    """The visit that counts of each resident in each campaign (its outcome and details), and
    the doses each holds."""
    if not campaigns or not residents:
        return {}, {}
    ids = among if among is not None else [r.id for r in residents]
    return _latest_outcomes(campaigns, ids), dose_kinds(ids)


def _latest_outcomes(campaigns: list[Campaign], ids) -> dict[tuple[int, int], Visit]:
    """What a standing reads of the visit that counts, by (resident, campaign): not whole
    visits, a hamlet has thousands. `ids`: resident ids, or a subquery of them."""
    newest = (select(func.max(Visit.id))
              .where(or_(*[Visit.counts_in(c) for c in campaigns]), Visit.resident_id.in_(ids))
              .group_by(Visit.resident_id, Visit.campaign_id))
    return {(v.resident_id, v.campaign_id): v for v in db.session.execute(
        select(Visit.resident_id, Visit.campaign_id, Visit.outcome, Visit.screening_category,
               Visit.deferred_until).where(Visit.id.in_(newest)))}


def screening_of(resident: Resident, campaigns: list[Campaign], today: date,
                 visits: list[Visit]) -> list[CampaignStanding]:
    """One resident's standing in each campaign, from their visits already loaded."""
    kinds = {d.kind for d in resident.doses}
    return [_campaign_standing(resident, c, kinds, max(
                (v for v in visits if v.counts_in(c)), key=lambda v: v.id, default=None), today)
            for c in campaigns]


def _campaign_standing(resident: Resident, campaign: Campaign, kinds: set[DoseKind],
                       visit: Visit | None, today: date) -> CampaignStanding:
    return CampaignStanding(
        campaign,
        standing(resident_status=resident.status, targeted=is_targeted(resident, campaign),
                 up_to_date=has_required_dose(kinds, campaign), latest_visit=visit, today=today),
        visit,
        next_dose(kinds, campaign),
    )
