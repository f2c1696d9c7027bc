"""The copy of a screener's hamlets that their phone keeps for reading with no network: each
hamlet's households and residents, where each stands in every open campaign and what they
need, as compact as a weak network wants it.

The phone computes nothing: every standing, dose due and age comes from the functions that
decide them here, and the phone only shows them. What a resident stands for on a follow-up
list is told by FOLLOW_UP_STANDINGS, the lists' own rule.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.ages import age_of
from portal.residents.models import Household, Resident, Sex
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit
from portal.visits.followup import FOLLOW_UP_STANDINGS
from portal.visits.outcomes import NEEDS_VISIT, Standing
from portal.visits.standings import standings_in

# The shape of a copy; a phone holding another drops it and fetches again.
FORMAT = 1


def offline_hamlets(user) -> list[AdministrativeUnit]:
    """The hamlets whose copy the user's phone keeps: the ones they are assigned to, nothing
    else of the commune (a user bound to no hamlet keeps none)."""
    return sorted(user.hamlets, key=lambda h: h.name)


def hamlet_copy(hamlet: AdministrativeUnit, campaigns: list[Campaign], today: date) -> dict:
    """A hamlet as the phone keeps it.

    People are rows of fixed fields (a field name repeated 2,000 times would double the copy):
    [id, household index or -1, full name, "f"/"m", born (dd/mm/yyyy, or the year), age today,
    risk flags ("c" chronic, "i" immunocompromised, "p" pregnant), phone, the standing in each
    campaign (its code, or "" when not targeted), the dose due in each ("" for none), whether
    each campaign still records a knock (1/0), the deferral's end in each ("" for none), and
    the doses held as [kind, dd/mm/yyyy or ""].
    """
    residents = list(db.session.scalars(
        select(Resident).where(Resident.hamlet_id == hamlet.id)
        .options(selectinload(Resident.doses)).order_by(Resident.household_id, Resident.birth_year,
                                                        Resident.id)))
    households = list(db.session.scalars(
        select(Household).where(Household.hamlet_id == hamlet.id).order_by(Household.code)))
    index = {h.id: i for i, h in enumerate(households)}
    standings = standings_in(campaigns, residents, today,
                             among=select(Resident.id).where(Resident.hamlet_id == hamlet.id))
    people = []
    for r in residents:
        each = standings[r.id]
        people.append([
            r.id,
            index.get(r.household_id, -1),
            r.full_name,
            "f" if r.sex is Sex.FEMALE else "m",
            r.birth_date.strftime("%d/%m/%Y") if r.birth_date else str(r.birth_year),
            age_of(r, today),
            ("c" if r.chronic_condition else "") + ("i" if r.immunocompromised else "")
            + ("p" if r.pregnant else ""),
            r.phone or "",
            [s.standing.value if s.standing is not Standing.NOT_TARGETED else "" for s in each],
            [s.next_dose.value if s.next_dose and s.to_record else "" for s in each],
            [1 if s.to_record else 0 for s in each],
            [_deferral_end(s.visit) for s in each],
            [[d.kind.value, d.given_on.strftime("%d/%m/%Y") if d.given_on else ""]
             for d in sorted(r.doses, key=lambda d: d.id)],
        ])
    return {
        "format": FORMAT,
        "made_at": utcnow().isoformat(timespec="seconds") + "Z",
        "hamlet": {"id": hamlet.id, "name": hamlet.name},
        "campaigns": [[c.id, c.name] for c in campaigns],
        "households": [[h.id, h.code, h.address or ""] for h in households],
        "people": people,
        "lists": {kind.value: sorted(s.value for s in standings_of_kind)
                  for kind, standings_of_kind in FOLLOW_UP_STANDINGS.items()},
        "needs_visit": sorted(s.value for s in NEEDS_VISIT),
    }


def _deferral_end(visit) -> str:
    until = getattr(visit, "deferred_until", None) if visit is not None else None
    return until.strftime("%d/%m/%Y") if until else ""

