"""The unit tree as queries: the units within a unit, its hamlets and communes, by level."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, select

from portal.extensions import db
from portal.units.models import AdministrativeUnit, UnitLevel


def units_within(unit: AdministrativeUnit) -> Select:
    """Ids of the unit and every unit below it, as a subquery to filter on."""
    return select(AdministrativeUnit.id).where(AdministrativeUnit.lies_within(unit))


def hamlets_within(unit: AdministrativeUnit) -> Select:
    """Ids of the hamlets at or below the unit."""
    return units_within(unit).where(AdministrativeUnit.level == UnitLevel.HAMLET)


def communes_within(unit: AdministrativeUnit) -> Select:
    """Ids of the communes at or below the unit."""
    return units_within(unit).where(AdministrativeUnit.level == UnitLevel.COMMUNE)


def units_among(ids: Iterable[int]) -> Select:
    """These unit ids, as a subquery like the others."""
    return select(AdministrativeUnit.id).where(AdministrativeUnit.id.in_(list(ids)))


def parents_among(ids: Iterable[int]) -> Select:
    """Ids of the parents of these units (the communes of some hamlets)."""
    return select(AdministrativeUnit.parent_id).where(AdministrativeUnit.id.in_(list(ids)))


def units_of(ids: Select, level: UnitLevel | None = None) -> list[AdministrativeUnit]:
    """The units of an id subquery, of one level if given, by name."""
    statement = select(AdministrativeUnit).where(AdministrativeUnit.id.in_(ids))
    if level is not None:
        statement = statement.where(AdministrativeUnit.level == level)
    return list(db.session.scalars(statement.order_by(AdministrativeUnit.name)))


def count_by_level(ids: Select) -> dict[UnitLevel, int]:
    """How many units of each level an id subquery holds."""
    counts = db.session.execute(
        select(AdministrativeUnit.level, func.count())
        .where(AdministrativeUnit.id.in_(ids))
        .group_by(AdministrativeUnit.level)
    )
    return {level: count for level, count in counts}


def unit_by_code(code: str) -> AdministrativeUnit | None:
    """The administrative unit with this official code."""
    return db.session.scalar(select(AdministrativeUnit).where(AdministrativeUnit.code == code))


def unit_among(unit_id: int, ids: Select) -> AdministrativeUnit | None:
    """The unit with this id if it is one of an id subquery's."""
    return db.session.scalar(select(AdministrativeUnit).where(
        AdministrativeUnit.id == unit_id, AdministrativeUnit.id.in_(ids)))


def reviewed_by_province(commune: AdministrativeUnit) -> bool:
    """Whether a commune's lists go straight to the province, which reviews them: the commune
    lies under the province itself (the 2025 list), not under a district (the 2019 list)."""
    parent = commune.parent
    return parent is not None and parent.level is UnitLevel.PROVINCE
