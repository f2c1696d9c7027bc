"""Age conditions as SQL, for residents with a full birth date or only a birth year."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_

from portal.residents.models import Resident
from portal.timeutil import age_on


def age_of(resident: Resident, day: date) -> int:
    """Whole years on a day; a birth known by its year only counts from 1 January."""
    return age_on(resident.birth_date or date(resident.birth_year, 1, 1), day)


def _years_before(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def aged_at_least(years: int, on: date):
    """Residents who have turned `years` by `on` (year-only births count from 1 January)."""
    cutoff = _years_before(on, years)
    return or_(
        and_(Resident.birth_date.is_not(None), Resident.birth_date <= cutoff),
        and_(Resident.birth_date.is_(None), Resident.birth_year <= cutoff.year),
    )


def aged_under(years: int, on: date):
    """Residents who have not yet turned `years` by `on`."""
    cutoff = _years_before(on, years)
    return or_(
        and_(Resident.birth_date.is_not(None), Resident.birth_date > cutoff),
        and_(Resident.birth_date.is_(None), Resident.birth_year > cutoff.year),
    )
