"""The unit tree as a user sees it: how many units of each level lie within their scope."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.scope import units_in_scope
from portal.units.models import AdministrativeUnit, UnitLevel


def units_by_level(user) -> dict[UnitLevel, int]:
    """How many units of each level lie within scope."""
    counts = db.session.execute(
        select(AdministrativeUnit.level, func.count())
        .where(AdministrativeUnit.id.in_(units_in_scope(user)))
        .group_by(AdministrativeUnit.level)
    )
    return {level: count for level, count in counts}
