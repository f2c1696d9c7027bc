"""The one place that decides which administrative units a user may see."""

from __future__ import annotations

from sqlalchemy import Select, select

from portal.units.models import AdministrativeUnit, UnitLevel


def units_in_scope(user) -> Select:
    """Ids of the user's unit and every unit below it, as a subquery to filter on."""
    return select(AdministrativeUnit.id).where(AdministrativeUnit.path.startswith(user.unit.path))


def hamlets_in_scope(user) -> Select:
    """Ids of the hamlets the user works in: their own hamlets if bound to some, else all below."""
    if user.hamlets:
        return select(AdministrativeUnit.id).where(
            AdministrativeUnit.id.in_([h.id for h in user.hamlets])
        )
    return units_in_scope(user).where(AdministrativeUnit.level == UnitLevel.HAMLET)
