"""Follow-up lists: who to go back to, and why."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.models import Resident
from portal.scope import hamlets_in_scope
from portal.text import natural_key
from portal.vaccination.booking import missed_after
from portal.vaccination.models import Appointment
from portal.visits.models import Outcome, ScreeningCategory, Visit
from portal.visits.outcomes import Standing
from portal.visits.standings import latest_visit_ids, standings_of


class FollowUp(enum.StrEnum):
    """The follow-up lists of DESIGN.md section 4."""

    REVISITS = "revisits"  # absent, in hospital
    DEFERRALS = "deferrals"  # deferrals ending soon (or ended)
    REFUSALS = "refusals"  # to persuade on a revisit
    HOMEBOUND = "homebound"  # for the mobile vaccination team


# Where a resident stands to be on each list (the offline copy tells the phone this too).
FOLLOW_UP_STANDINGS = {
    FollowUp.REVISITS: {Standing.ABSENT, Standing.HOSPITALISED},
    FollowUp.DEFERRALS: {Standing.DEFERRED, Standing.DEFERRAL_ENDED},
    FollowUp.REFUSALS: {Standing.REFUSED},
    FollowUp.HOMEBOUND: {Standing.HOMEBOUND},
}
_OUTCOMES = {
    FollowUp.REVISITS: [Outcome.ABSENT, Outcome.HOSPITALISED],
    FollowUp.DEFERRALS: [Outcome.CONTRAINDICATED],
    FollowUp.REFUSALS: [Outcome.REFUSED],
    FollowUp.HOMEBOUND: [Outcome.HOMEBOUND],
}


@dataclass
class FollowUpRow:
    """A resident on a follow-up list, with the visit that put them there (and the appointment
    they missed since, for a willing person back on the revisits)."""

    resident: Resident
    standing: Standing
    visit: Visit
    missed: Appointment | None = None


def follow_up_list(
    user, campaign: Campaign, kind: FollowUp, today: date, hamlet_id: int | None = None,
    within_days: int = 14,
) -> list[FollowUpRow]:
    """Residents in scope whose latest visit puts them on this list and who still need it; on
    the revisits, too, the willing who missed their appointment since that visit."""
    hamlets = hamlets_in_scope(user)
    latest = (latest_visit_ids(campaign).join(Resident, Visit.resident_id == Resident.id)
              .where(Resident.hamlet_id.in_(hamlets)))
    if hamlet_id is not None:
        latest = latest.where(Resident.hamlet_id == hamlet_id)
    missed = missed_after(campaign, latest) if kind is FollowUp.REVISITS else {}
    outcomes = Visit.outcome.in_(_OUTCOMES[kind])
    if missed:
        outcomes = or_(outcomes, Visit.resident_id.in_(list(missed)))
    query = select(Visit).where(Visit.id.in_(latest), outcomes)
    if kind is FollowUp.DEFERRALS:
        query = query.where(
            Visit.screening_category == ScreeningCategory.DEFERRAL,
            Visit.deferred_until <= today + timedelta(days=within_days),
        )
    visits = list(db.session.scalars(
        query.options(selectinload(Visit.resident).selectinload(Resident.hamlet),
                      selectinload(Visit.resident).selectinload(Resident.household))
    ))
    residents = [v.resident for v in visits]
    standings = standings_of(residents, campaign, today)
    rows = [
        FollowUpRow(v.resident, standings[v.resident_id][0], v, missed.get(v.resident_id))
        for v in visits
        if standings[v.resident_id][0] in FOLLOW_UP_STANDINGS[kind]
        or (v.resident_id in missed and standings[v.resident_id][0] is Standing.WILLING)
    ]
    if kind is FollowUp.DEFERRALS:
        rows.sort(key=lambda r: (r.visit.deferred_until, r.resident.name_folded))
    else:
        rows.sort(key=lambda r: (natural_key(r.resident.hamlet.name), r.resident.household_id or 0,
                                 r.resident.name_folded))
    return rows
