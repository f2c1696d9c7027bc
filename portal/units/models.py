"""The administrative unit tree, stored with a materialised path for scoping."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db


class UnitLevel(enum.StrEnum):
    """Levels of the tree; the district level is absent under the 2025 two-level scheme."""

    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    HAMLET = "hamlet"


def str_enum(enum_class: type[enum.StrEnum], length: int = 32) -> Enum:
    """A portable enum column: VARCHAR on both databases, stored by value."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class AdministrativeUnit(db.Model):
    """A province, district, commune or hamlet, with its official code."""

    __tablename__ = "administrative_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # "Phường", "Xã", "Thôn", "Ấp", "Tổ dân phố"...: what the unit calls itself.
    kind: Mapped[str] = mapped_column(String(40))
    level: Mapped[UnitLevel] = mapped_column(str_enum(UnitLevel))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="RESTRICT"), index=True
    )
    # "/1/4/17/": ids from the root down, so "everything below" is one prefix match.
    path: Mapped[str] = mapped_column(String(255), index=True)
    depth: Mapped[int] = mapped_column(Integer)

    parent: Mapped[AdministrativeUnit | None] = relationship(
        remote_side="AdministrativeUnit.id", back_populates="children"
    )
    children: Mapped[list[AdministrativeUnit]] = relationship(
        back_populates="parent", order_by="AdministrativeUnit.name"
    )

    def __repr__(self) -> str:
        return f"<AdministrativeUnit {self.code} {self.name}>"

    @hybrid_method
    def lies_within(self, unit: AdministrativeUnit) -> bool:
        """This unit is `unit` or lies below it (in SQL: one prefix match on the path)."""
        return self.path.startswith(unit.path)

    @lies_within.expression
    @classmethod
    def _lies_within(cls, unit: AdministrativeUnit):
        return cls.path.startswith(unit.path)

    def contains(self, other: AdministrativeUnit) -> bool:
        """True when other is this unit or lies below it."""
        return other.lies_within(self)

    def ancestors(self) -> list[AdministrativeUnit]:
        """From the root down to the parent of this unit."""
        chain = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


def path_of(unit_id: int, parent_path: str | None) -> str:
    """A unit's materialised path: its parent's path and its own id ("/1/4/17/")."""
    return f"{parent_path or '/'}{unit_id}/"


def create_unit(
    *, code: str, name: str, kind: str, level: UnitLevel, parent: AdministrativeUnit | None
) -> AdministrativeUnit:
    """Add a unit under parent and give it its path (the id is needed, so this flushes)."""
    unit = AdministrativeUnit(
        code=code, name=name, kind=kind, level=level, parent=parent, path="", depth=0
    )
    db.session.add(unit)
    db.session.flush()
    unit.path = path_of(unit.id, parent.path if parent is not None else None)
    unit.depth = 0 if parent is None else parent.depth + 1
    return unit
