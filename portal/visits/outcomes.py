"""What a visit outcome does to a resident: the one place that decides it.

A resident's standing in a campaign is derived, never stored: from the register (still
living here?), the campaign's rules (targeted? up to date?) and the latest visit that has
not been undone. The history of visits stays as it was recorded.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from portal.residents.models import ResidentStatus
from portal.visits.models import Outcome, ScreeningCategory, Visit


class Standing(enum.StrEnum):
    """Where a resident stands in a campaign, as the walk and the lists show it."""

    NOT_TARGETED = "not_targeted"
    LEFT = "left"  # moved away or deceased: out of every target population
    UP_TO_DATE = "up_to_date"
    TO_VISIT = "to_visit"  # targeted, not up to date, never visited
    WILLING = "willing"
    REFUSED = "refused"
    CONTRAINDICATED = "contraindicated"
    DEFERRED = "deferred"  # until a date still to come
    DEFERRAL_ENDED = "deferral_ended"  # the date has passed: due again
    CAUTION = "caution"  # vaccinate at a hospital site
    HOMEBOUND = "homebound"
    HOSPITALISED = "hospitalised"
    ABSENT = "absent"


# Standings for which a visit has nothing left to record: out of the campaign's population.
CLOSED = frozenset({Standing.LEFT, Standing.NOT_TARGETED})

# Standings that still need someone to go back, and so sort first on the walk.
NEEDS_VISIT = frozenset({
    Standing.TO_VISIT, Standing.ABSENT, Standing.DEFERRAL_ENDED, Standing.WILLING,
    Standing.REFUSED, Standing.HOSPITALISED,
})


@dataclass(frozen=True)
class Effect:
    """What recording an outcome changes beyond the visit row itself."""

    resident_status: ResidentStatus | None = None  # a change to the register entry
    proves_required_dose: bool = False  # a card was seen: add the campaign's dose


def effect_of(outcome: Outcome) -> Effect:
    """The change an outcome makes to the resident's record when it is saved."""
    if outcome is Outcome.MOVED_AWAY:
        return Effect(resident_status=ResidentStatus.MOVED_AWAY)
    if outcome is Outcome.DECEASED:
        return Effect(resident_status=ResidentStatus.DECEASED)
    if outcome is Outcome.UP_TO_DATE:
        return Effect(proves_required_dose=True)
    return Effect()


_BY_OUTCOME = {
    Outcome.WILLING: Standing.WILLING,
    Outcome.REFUSED: Standing.REFUSED,
    Outcome.HOMEBOUND: Standing.HOMEBOUND,
    Outcome.HOSPITALISED: Standing.HOSPITALISED,
    Outcome.ABSENT: Standing.ABSENT,
    Outcome.UP_TO_DATE: Standing.UP_TO_DATE,
    Outcome.MOVED_AWAY: Standing.LEFT,
    Outcome.DECEASED: Standing.LEFT,
}


def standing(
    *,
    resident_status: ResidentStatus,
    targeted: bool,
    up_to_date: bool,
    latest_visit: Visit | None,
    today: date,
) -> Standing:
    """Where a resident stands, given the register, the campaign's rules and the latest visit."""
    if resident_status is not ResidentStatus.PRESENT:
        return Standing.LEFT
    if not targeted:
        return Standing.NOT_TARGETED
    if up_to_date:
        return Standing.UP_TO_DATE
    if latest_visit is None:
        return Standing.TO_VISIT
    outcome = latest_visit.outcome
    if outcome is Outcome.CONTRAINDICATED:
        category = latest_visit.screening_category
        if category is ScreeningCategory.DEFERRAL:
            until = latest_visit.deferred_until
            return Standing.DEFERRED if until and until > today else Standing.DEFERRAL_ENDED
        if category is ScreeningCategory.CAUTION:
            return Standing.CAUTION
        return Standing.CONTRAINDICATED
    return _BY_OUTCOME[outcome]
