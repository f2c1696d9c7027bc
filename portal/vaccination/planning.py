"""A commune's vaccination sites and the sessions planned at them: adding, closing, cancelling,
and which sessions still have room."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.audit.log import record
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.scope import in_scope, scope_condition
from portal.units.models import AdministrativeUnit
from portal.vaccination.models import (
    Appointment, AppointmentState, SiteKind, VaccinationSession, VaccinationSite,
    session_campaigns,
)

# The sessions' list shows those of the last days too: their doses are still recorded.
RECENT_DAYS = 14


class PlanningRefused(ValueError):
    """A site or a session cannot be added or changed as asked; the message says why."""


def add_site(*, user, commune: AdministrativeUnit, name: str, kind: SiteKind,
             address: str | None) -> VaccinationSite:
    """A new site of the commune; its name is new among the commune's sites. The caller commits."""
    taken = db.session.scalar(select(VaccinationSite.id).where(
        VaccinationSite.commune_id == commune.id, VaccinationSite.name == name))
    if taken is not None:
        raise PlanningRefused(_("The commune already has a site of this name."))
    site = VaccinationSite(commune_id=commune.id, name=name, kind=kind, address=address,
                           created_by_id=user.id)
    db.session.add(site)
    db.session.flush()
    record("site.create", "site", site.id, unit_id=commune.id, user=user,
           after={"name": name, "kind": kind.value})
    return site


def close_site(site: VaccinationSite, *, user, now: datetime) -> None:
    """No longer offered for new sessions; its sessions stay as they were. The caller commits."""
    if site.closed_at is not None:
        raise PlanningRefused(_("This site is closed already."))
    site.closed_at = now
    record("site.close", "site", site.id, unit_id=site.commune_id, user=user)


def plan_session(*, user, site: VaccinationSite, day: date, starts_at: str,
                 ends_at: str | None, capacity: int, campaigns: list[Campaign],
                 today: date) -> VaccinationSession:
    """A session at an open site, today or later, for open campaigns. The caller commits."""
    if site.closed_at is not None:
        raise PlanningRefused(_("This site is closed: choose another."))
    if day < today:
        raise PlanningRefused(_("A session cannot be planned on a day that has passed."))
    if capacity < 1:
        raise PlanningRefused(_("A session has room for one person at least."))
    if not campaigns or not all(c.is_open for c in campaigns):
        raise PlanningRefused(_("Choose one or more open campaigns."))
    if ends_at is not None and ends_at <= starts_at:
        raise PlanningRefused(_("The session must end after it starts."))
    session = VaccinationSession(site_id=site.id, day=day, starts_at=starts_at, ends_at=ends_at,
                                 capacity=capacity, campaigns=list(campaigns),
                                 created_by_id=user.id)
    db.session.add(session)
    db.session.flush()
    record("session.create", "session", session.id, unit_id=site.commune_id, user=user,
           after={"site": site.id, "day": day.isoformat(), "starts_at": starts_at,
                  "capacity": capacity, "campaigns": [c.id for c in campaigns]})
    return session


def cancel_session(session: VaccinationSession, *, user, now: datetime) -> list[Appointment]:
    """The session will not take place: it and its bookings are cancelled (those booked go back
    to willing, to be given another). The caller commits."""
    if session.cancelled_at is not None:
        raise PlanningRefused(_("This session is cancelled already."))
    session.cancelled_at = now
    booked = list(db.session.scalars(select(Appointment).where(
        Appointment.session_id == session.id, Appointment.state == AppointmentState.BOOKED)))
    for appointment in booked:
        appointment.state = AppointmentState.CANCELLED
        appointment.closed_at, appointment.closed_by_id = now, user.id
    record("session.cancel", "session", session.id, unit_id=session.site.commune_id, user=user,
           after={"appointments_cancelled": len(booked)})
    return booked


def taken_places():
    """People holding a place at each session (all but the cancelled), as a subquery."""
    return (select(Appointment.session_id, func.count().label("taken"))
            .where(Appointment.session_id.is_not(None),
                   Appointment.state != AppointmentState.CANCELLED)
            .group_by(Appointment.session_id).subquery())


@dataclass(frozen=True)
class SessionRoom:
    """A session and how many places it has taken and left."""

    session: VaccinationSession
    taken: int

    @property
    def room(self) -> int:
        return max(self.session.capacity - self.taken, 0)


def sessions_with_room(campaign: Campaign, commune: AdministrativeUnit, today: date,
                       earliest: date | None = None) -> list[SessionRoom]:
    """The commune's sessions for the campaign, from today (or `earliest`, if later), not
    cancelled, at sites still open, with a place left: nearest first."""
    first = max(today, earliest) if earliest else today
    taken = taken_places()
    rows = db.session.execute(
        select(VaccinationSession, func.coalesce(taken.c.taken, 0))
        .select_from(VaccinationSession)
        .join(VaccinationSite, VaccinationSite.id == VaccinationSession.site_id)
        .join(session_campaigns, session_campaigns.c.session_id == VaccinationSession.id)
        .outerjoin(taken, taken.c.session_id == VaccinationSession.id)
        .where(VaccinationSite.commune_id == commune.id, VaccinationSite.closed_at.is_(None),
               session_campaigns.c.campaign_id == campaign.id,
               VaccinationSession.cancelled_at.is_(None), VaccinationSession.day >= first,
               func.coalesce(taken.c.taken, 0) < VaccinationSession.capacity)
        .order_by(VaccinationSession.day, VaccinationSession.starts_at, VaccinationSession.id)
        .options(selectinload(VaccinationSession.site))).all()
    return [SessionRoom(session, taken_count) for session, taken_count in rows]


def sessions_in_scope(user, today: date) -> list[SessionRoom]:
    """The sessions of every commune in the user's scope, from RECENT_DAYS ago on, by day."""
    taken = taken_places()
    rows = db.session.execute(
        select(VaccinationSession, func.coalesce(taken.c.taken, 0))
        .select_from(VaccinationSession)
        .outerjoin(taken, taken.c.session_id == VaccinationSession.id)
        .where(scope_condition(user, VaccinationSession),
               VaccinationSession.day >= today - timedelta(days=RECENT_DAYS))
        .order_by(VaccinationSession.day, VaccinationSession.starts_at, VaccinationSession.id)
        .options(selectinload(VaccinationSession.site).selectinload(VaccinationSite.commune),
                 selectinload(VaccinationSession.campaigns))).all()
    return [SessionRoom(session, taken_count) for session, taken_count in rows]


def sites_in_scope(user) -> list[VaccinationSite]:
    """The sites of the communes in scope, open first, by commune and name."""
    return list(db.session.scalars(
        in_scope(user, VaccinationSite)
        .order_by(VaccinationSite.closed_at.is_not(None), VaccinationSite.commune_id,
                  VaccinationSite.name)
        .options(selectinload(VaccinationSite.commune))))


def places_taken(session: VaccinationSession) -> int:
    """How many people hold a place at the session."""
    return db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.session_id == session.id, Appointment.state != AppointmentState.CANCELLED))
