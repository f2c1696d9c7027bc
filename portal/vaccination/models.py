"""Vaccination sites, the sessions planned at them, and the appointments people hold there."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Column, Date, ForeignKey, Index, Integer, String, Table, UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.models import Dose, Resident
from portal.scope import ScopedBy, Within
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit, str_enum


class SiteKind(enum.StrEnum):
    """Where the doses are given: a place people come to, or a team that goes to them."""

    FIXED = "fixed"  # the health station, a school, a hall
    MOBILE = "mobile"  # đoàn tiêm lưu động


class AppointmentState(enum.StrEnum):
    """Where an appointment stands: booked until the session's staff close it."""

    BOOKED = "booked"
    VACCINATED = "vaccinated"
    MISSED = "missed"  # did not come: back on the revisits list
    DEFERRED = "deferred"  # the pre-vaccination screening found a reason not to, today
    CANCELLED = "cancelled"


# Closed by the session's staff (and so undoable for a few minutes by whoever closed it).
CLOSED_AT_SESSION = frozenset({AppointmentState.VACCINATED, AppointmentState.MISSED,
                               AppointmentState.DEFERRED})


class VaccinationSite(db.Model):
    """A commune's fixed site or mobile team; closed when no longer used (its sessions stay)."""

    __tablename__ = "vaccination_sites"
    __scope__ = ScopedBy("commune_id", Within.COMMUNES)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[SiteKind] = mapped_column(str_enum(SiteKind))
    address: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column()

    commune: Mapped[AdministrativeUnit] = relationship()

    __table_args__ = (UniqueConstraint("commune_id", "name"),)


session_campaigns = Table(
    "session_campaigns",
    db.metadata,
    Column("session_id", ForeignKey("vaccination_sessions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
)


class VaccinationSession(db.Model):
    """A site on a day, from a time, for one or more campaigns, with room for so many people."""

    __tablename__ = "vaccination_sessions"
    __scope__ = ScopedBy("site.commune_id", Within.COMMUNES)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("vaccination_sites.id", ondelete="RESTRICT"))
    day: Mapped[date] = mapped_column(Date)
    # Hours as the commune writes them on its notice ("07:30"), in Vietnam's time.
    starts_at: Mapped[str] = mapped_column(String(5))
    ends_at: Mapped[str | None] = mapped_column(String(5))
    capacity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column()

    site: Mapped[VaccinationSite] = relationship()
    campaigns: Mapped[list[Campaign]] = relationship(secondary=session_campaigns,
                                                     order_by="Campaign.id")

    __table_args__ = (Index("ix_vaccination_sessions_site_day", "site_id", "day"),)


class Appointment(db.Model):
    """A person expected at a session for a campaign's dose, or left to the commune to arrange
    (no session yet); closed by the site's staff as vaccinated, missed or deferred."""

    __tablename__ = "appointments"
    __scope__ = ScopedBy("resident.hamlet_id", Within.HAMLETS)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("vaccination_sessions.id", ondelete="RESTRICT"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    state: Mapped[AppointmentState] = mapped_column(
        str_enum(AppointmentState), default=AppointmentState.BOOKED)
    # The dose given at the session, or the screening visit that deferred it.
    dose_id: Mapped[int | None] = mapped_column(ForeignKey("doses.id", ondelete="SET NULL"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column()

    session: Mapped[VaccinationSession | None] = relationship()
    resident: Mapped[Resident] = relationship()
    campaign: Mapped[Campaign] = relationship()
    dose: Mapped[Dose | None] = relationship()

    __table_args__ = (
        Index("ix_appointments_resident", "resident_id", "campaign_id"),
        # One open booking per person and campaign, whatever two requests do at once.
        Index("uq_appointments_open", "resident_id", "campaign_id", unique=True,
              sqlite_where=text("state = 'booked'"), postgresql_where=text("state = 'booked'")),
    )
