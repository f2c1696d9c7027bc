"""A campaign says who must have which dose by which date, in which unit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.residents.models import DoseKind, Sex
from portal.scope import ScopedBy
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit, str_enum


class Campaign(db.Model):
    """A vaccination drive (đợt): its target population, the dose that makes a person up to
    date, the doses that must come first, and its deadline. Open until it is closed."""

    __tablename__ = "campaigns"
    __scope__ = ScopedBy("unit_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # The unit that runs the campaign (a province, district or commune); it covers all below.
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="RESTRICT"), index=True
    )
    # The dose a resident must have to count as up to date for this campaign (or a later one).
    required_dose: Mapped[DoseKind] = mapped_column(str_enum(DoseKind))
    # The doses that must come before it ("dose_1", "dose_2" for booster 1), DoseKind values.
    prior_doses: Mapped[list] = mapped_column(JSON, default=list)
    # Age range in whole years on the reference date; max_age is exclusive ("5 to under 12").
    min_age: Mapped[int] = mapped_column(Integer, default=18)
    max_age: Mapped[int | None] = mapped_column(Integer)
    # When set, only people of a high-risk group (50+, chronic, immunocompromised, pregnant).
    risk_groups_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # When set, only people of this sex (for the campaigns that need it).
    sex: Mapped[Sex | None] = mapped_column(str_enum(Sex))
    # Minimum days since the previous dose before the required one is due.
    min_interval_days: Mapped[int] = mapped_column(Integer, default=0)
    age_reference_date: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set when the campaign is closed: it leaves the walk and the screens; its lists stay.
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    unit: Mapped[AdministrativeUnit] = relationship()

    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    @hybrid_property
    def is_open(self) -> bool:
        """Not closed: its people are visited and its figures shown."""
        return self.closed_at is None

    @is_open.inplace.expression
    @classmethod
    def _is_open(cls):
        return cls.closed_at.is_(None)
