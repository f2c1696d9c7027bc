"""What a visit outcome does to a resident: the one place that decides it.

A resident's standing in a campaign is derived, never stored: from the register (still
living here?), the campaign's rules (targeted? up to date?) and the latest visit that has
not been undone. The history of visits stays as it was recorded.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from portal.residents.models import ResidentStatus
from portal.timeutil import months_after
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
class Details:
    """The details an outcome takes: what its form asks, what must be filled, what is kept.

    `only_when` names details that count only when another detail has a value: the end of a
    deferral is asked with every screening result, but required and kept for a deferral only.
    """

    asks: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    keeps: tuple[str, ...] | None = None  # what is saved; what the form asks if None
    only_when: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def required(self, values) -> list[str]:
        """The details that must be filled, given the others (an object with them as attributes)."""
        return [name for name in (*self.requires, *self.only_when) if self._applies(name, values)]

    def kept(self, values) -> list[str]:
        """The details saved with the visit, given the others: any further one is dropped."""
        kept = self.asks if self.keeps is None else self.keeps
        return [name for name in kept if self._applies(name, values)]

    def _applies(self, name: str, values) -> bool:
        if name not in self.only_when:
            return True
        other, value = self.only_when[name]
        return getattr(values, other) == value


_NOTE = Details(asks=("note",))

# The one table of what each outcome takes (DESIGN.md section 3). The form validates against
# it, record_visit keeps what it says, the card shows the fields it asks for.
OUTCOME_DETAILS: dict[Outcome, Details] = {
    # One tap each; a card seen may carry the date and vaccine it shows.
    Outcome.UP_TO_DATE: Details(keeps=("dose_given_on", "vaccine", "note")),
    Outcome.WILLING: Details(keeps=("note",)),
    Outcome.ABSENT: Details(keeps=("note",)),
    Outcome.REFUSED: Details(asks=("refusal_reason", "note"), requires=("refusal_reason",)),
    Outcome.CONTRAINDICATED: Details(
        asks=("screening_category", "deferred_until", "reason", "note"),
        requires=("screening_category", "reason"),
        only_when={"deferred_until": ("screening_category", ScreeningCategory.DEFERRAL)},
    ),
    Outcome.HOMEBOUND: _NOTE,
    Outcome.HOSPITALISED: _NOTE,
    Outcome.MOVED_AWAY: _NOTE,
    Outcome.DECEASED: _NOTE,
}
# The details a form with an outcome for each campaign asks, once for all of them.
PER_CAMPAIGN_FIELDS = tuple(dict.fromkeys(
    name for details in OUTCOME_DETAILS.values() for name in details.asks))
# Every detail any outcome takes, in the order the forms ask them.
DETAIL_FIELDS = tuple(dict.fromkeys(
    name for details in OUTCOME_DETAILS.values()
    for name in (*details.asks, *(details.keeps or ()))
))


# The Ministry of Health's screening defers a dose for weeks or months (an acute illness,
# COVID-19 in the last months, early pregnancy), never for years: a year is already generous,
# and an end beyond it is a slip of the finger (31/12/9999) that would keep the person off
# every list for good.
LONGEST_DEFERRAL_MONTHS = 12


def deferral_end_problem(until: date, today: date) -> str | None:
    """Why a deferral cannot end on `until`, in the user's language; None when it can: after
    today, and within LONGEST_DEFERRAL_MONTHS."""
    if until <= today:
        return _("The end of a deferral must be in the future.")
    last = months_after(today, LONGEST_DEFERRAL_MONTHS)
    if until > last:
        return _("A deferral lasts %(months)d months at most: choose a day until %(last)s.",
                 months=LONGEST_DEFERRAL_MONTHS, last=f"{last:%d/%m/%Y}")
    return None


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
