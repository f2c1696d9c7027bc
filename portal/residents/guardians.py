"""Who answers for a child: whether a resident is a minor, and the guardian the screens show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.residents.models import Resident
from portal.residents.ages import age_of

# Vietnamese law's age of majority (Civil Code 2015, article 20): under it, a parent or a
# guardian answers for the person.
ADULT_AGE = 18


@dataclass(frozen=True)
class Guardian:
    """A minor's parent or guardian as the register or a screener wrote them down."""

    name: str | None
    phone: str | None

    def __str__(self) -> str:
        """"Trần Văn Nam, 0387654321", as a list prints it."""
        return ", ".join(part for part in (self.name, self.phone) if part)


def is_minor(resident: Resident, on: date) -> bool:
    """Under 18 on the day."""
    return age_of(resident, on) < ADULT_AGE


def guardian_of(resident: Resident) -> Guardian | None:
    """The person's own guardian, else their household's, else None; whatever the age."""
    if resident.guardian_name or resident.guardian_phone:
        return Guardian(resident.guardian_name, resident.guardian_phone)
    household = resident.household
    if household is not None and (household.guardian_name or household.guardian_phone):
        return Guardian(household.guardian_name, household.guardian_phone)
    return None


def guardian_of_minor(resident: Resident, on: date) -> Guardian | None:
    """The guardian the card and the lists show: a minor's (guardian_of), none for an adult."""
    return guardian_of(resident) if is_minor(resident, on) else None
