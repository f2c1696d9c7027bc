"""A campaign says who must have which dose by which date, in which unit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.residents.models import DoseKind
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit, str_enum


class Campaign(db.Model):
    """A vaccination drive: its target population, the dose it requires and its deadline."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # The unit that runs the campaign; it covers everything below it.
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="RESTRICT"), index=True
    )
    # The dose a resident must have to count as up to date for this campaign.
    required_dose: Mapped[DoseKind] = mapped_column(str_enum(DoseKind))
    # Age range on the reference date; max_age is exclusive ("5 to under 12").
    min_age: Mapped[int] = mapped_column(Integer, default=18)
    max_age: Mapped[int | None] = mapped_column(Integer)
    # When set, only people of a high-risk group (50+, chronic, immunocompromised, pregnant).
    risk_groups_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # Minimum days since the previous dose before the required one is due.
    min_interval_days: Mapped[int] = mapped_column(Integer, default=0)
    age_reference_date: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[AdministrativeUnit] = relationship()
