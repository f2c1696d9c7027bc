"""From willing to vaccinated: sessions with room, booking's rules, the dose given at a session,
did not come, deferred at the screening, and undo (portal/vaccination)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.lists.compliance import compile_list
from portal.residents.models import Dose, DoseKind, RecordSource, Resident
from portal.timeutil import today_local, utcnow
from portal.vaccination import attendance, booking, planning
from portal.vaccination.models import Appointment, AppointmentState, SiteKind
from portal.visits.followup import FollowUp, follow_up_list
from portal.visits.models import Outcome, ScreeningCategory
from portal.visits.outcomes import Standing
from portal.visits.recording import VisitInput, record_visit
from portal.visits.standings import standing_of

from helpers import unit


@pytest.fixture
def plan(app, world, users):
    """The booster campaign, the commune lead, and a site of Phường Cái Khế to plan sessions
    at (inside an app context for the test)."""
    with app.app_context():
        lead = db.session.get(User, users[Role.COMMUNE_LEAD])
        campaign = db.session.get(Campaign, world["campaign"])
        site = planning.add_site(user=lead, commune=unit("31117"), name="Trạm Y tế phường",
                                 kind=SiteKind.FIXED, address="Số 1 Trần Phú")
        db.session.commit()
        yield {"lead": lead, "campaign": campaign, "site": site, "today": today_local(),
               **{key: db.session.get(Resident, world[key]) for key in
                  ("duc", "lan", "nam", "hoa", "other")}}


def _session(plan, days_ahead=3, capacity=10, campaigns=None):
    return planning.plan_session(
        user=plan["lead"], site=plan["site"], day=plan["today"] + timedelta(days=days_ahead),
        starts_at="07:30", ends_at="11:00", capacity=capacity,
        campaigns=campaigns or [plan["campaign"]], today=plan["today"])


def _book(plan, person, session):
    return booking.book(user=plan["lead"], resident=plan[person], campaign=plan["campaign"],
                        session=session, today=plan["today"], now=utcnow())


def _refusal(plan, person, session) -> str:
    with pytest.raises(booking.BookingRefused) as refused:
        _book(plan, person, session)
    return str(refused.value)


# -- sessions with room ---------------------------------------------------------------------

def test_sessions_with_room_are_the_communes_next_ones_for_the_campaign_nearest_first(plan):
    later = _session(plan, days_ahead=10)
    sooner = _session(plan, days_ahead=2)
    full = _session(plan, days_ahead=1, capacity=1)
    _session(plan, days_ahead=0).cancelled_at = utcnow()
    other_campaign = Campaign(name="Mũi 4", unit_id=plan["campaign"].unit_id,
                              required_dose=DoseKind.BOOSTER_2, age_reference_date=date(2022, 6, 1),
                              starts_on=date(2022, 6, 1), deadline=date(2022, 12, 31))
    db.session.add(other_campaign)
    db.session.flush()
    _session(plan, days_ahead=1, campaigns=[other_campaign])
    _book(plan, "duc", full)
    db.session.commit()
    rooms = planning.sessions_with_room(plan["campaign"], unit("31117"), plan["today"])
    assert [r.session.id for r in rooms] == [sooner.id, later.id]
    assert rooms[0].room == 10
    assert planning.sessions_with_room(plan["campaign"], unit("31183"), plan["today"]) == []


def test_a_session_cannot_be_planned_on_a_day_gone_or_at_a_closed_site(plan):
    with pytest.raises(planning.PlanningRefused):
        _session(plan, days_ahead=-1)
    planning.close_site(plan["site"], user=plan["lead"], now=utcnow())
    with pytest.raises(planning.PlanningRefused):
        _session(plan)


# -- booking --------------------------------------------------------------------------------

def test_booking_respects_the_sessions_capacity(plan):
    session = _session(plan, capacity=1)
    _book(plan, "duc", session)
    assert "đầy" in _refusal(plan, "nam", session)


def test_booking_refuses_a_session_that_does_not_give_the_campaigns_dose(plan):
    other_campaign = Campaign(name="Mũi 4", unit_id=plan["campaign"].unit_id,
                              required_dose=DoseKind.BOOSTER_2, age_reference_date=date(2022, 6, 1),
                              starts_on=date(2022, 6, 1), deadline=date(2022, 12, 31))
    db.session.add(other_campaign)
    db.session.flush()
    session = _session(plan, campaigns=[other_campaign])
    assert _refusal(plan, "duc", session)


def test_booking_refuses_a_closed_campaign(plan):
    session = _session(plan)
    plan["campaign"].closed_at = utcnow()
    assert "đã kết thúc" in _refusal(plan, "duc", session)


def test_booking_refuses_a_person_already_up_to_date(plan):
    assert _refusal(plan, "lan", _session(plan))  # lan has booster 1


def test_booking_refuses_a_session_in_another_commune(plan):
    assert _refusal(plan, "other", _session(plan))


def test_booking_respects_the_campaigns_interval_since_the_latest_dose(plan):
    plan["campaign"].min_interval_days = 90
    latest = max(plan["duc"].doses, key=lambda d: d.given_on)
    latest.given_on = plan["today"] - timedelta(days=30)
    earliest = plan["today"] + timedelta(days=60)
    assert booking.earliest_day(plan["duc"], plan["campaign"]) == earliest
    too_soon = _session(plan, days_ahead=59)
    message = _refusal(plan, "duc", too_soon)
    assert f"{earliest:%d/%m/%Y}" in message
    # Counted to the session's day: the one on the earliest day takes them.
    on_the_day = _session(plan, days_ahead=60)
    assert [r.session.id for r in planning.sessions_with_room(
        plan["campaign"], unit("31117"), plan["today"], earliest)] == [on_the_day.id]
    assert _book(plan, "duc", on_the_day).state is AppointmentState.BOOKED


def test_a_person_holds_one_open_booking_per_campaign(plan):
    first = _session(plan)
    _book(plan, "duc", first)
    assert _refusal(plan, "duc", _session(plan, days_ahead=5))
    assert _refusal(plan, "duc", None)  # nor left to the commune besides
    db.session.commit()
    # Two requests at once: the database refuses the second too.
    db.session.add(Appointment(session_id=first.id, resident_id=plan["duc"].id,
                               campaign_id=plan["campaign"].id, state=AppointmentState.BOOKED))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_booking_left_to_the_commune_has_no_session(plan):
    appointment = _book(plan, "duc", None)
    assert appointment.session_id is None and appointment.state is AppointmentState.BOOKED


def test_a_cancelled_booking_frees_the_place_and_the_person(plan):
    session = _session(plan, capacity=1)
    appointment = _book(plan, "duc", session)
    booking.cancel(appointment, user=plan["lead"], now=utcnow())
    assert _book(plan, "nam", session).state is AppointmentState.BOOKED
    assert _book(plan, "duc", _session(plan, days_ahead=4))


# -- at the session -------------------------------------------------------------------------

def _today_booking(plan, person="duc"):
    session = _session(plan, days_ahead=0)
    return _book(plan, person, session)


def test_a_dose_recorded_at_a_session_removes_the_person_from_the_compliance_list(plan):
    appointment = _today_booking(plan)
    db.session.commit()
    commune = unit("31117")
    assert plan["duc"].id in {e.resident.id for e in compile_list(plan["campaign"], commune,
                                                                  plan["today"])}
    dose = attendance.record_dose(appointment, user=plan["lead"], vaccine="Pfizer-BioNTech",
                                  lot="FK1234", today=plan["today"], now=utcnow())
    db.session.commit()
    dose = db.session.get(Dose, dose.id)
    assert (dose.kind, dose.vaccine, dose.lot, dose.given_on, dose.place, dose.source) == (
        DoseKind.BOOSTER_1, "Pfizer-BioNTech", "FK1234", plan["today"], "Trạm Y tế phường",
        RecordSource.SESSION)
    appointment = db.session.get(Appointment, appointment.id)
    assert appointment.state is AppointmentState.VACCINATED and appointment.dose_id == dose.id
    assert plan["duc"].id not in {e.resident.id for e in compile_list(plan["campaign"], commune,
                                                                      plan["today"])}
    assert standing_of(db.session.get(Resident, plan["duc"].id), plan["campaign"],
                       plan["today"]) is Standing.UP_TO_DATE


def test_a_dose_cannot_be_recorded_before_the_sessions_day(plan):
    appointment = _book(plan, "duc", _session(plan, days_ahead=1))
    with pytest.raises(attendance.AttendanceRefused):
        attendance.record_dose(appointment, user=plan["lead"], vaccine="Pfizer-BioNTech",
                               lot=None, today=plan["today"], now=utcnow())


def _willing(plan, person="duc", minutes_ago=30):
    record_visit(user=plan["lead"], resident=plan[person], campaign=plan["campaign"],
                 entry=VisitInput(client_uuid=str(uuid.uuid4()), outcome=Outcome.WILLING),
                 today=plan["today"], at=utcnow() - timedelta(minutes=minutes_ago))


def _revisits(plan) -> dict:
    return {row.resident.id: row for row in follow_up_list(
        plan["lead"], plan["campaign"], FollowUp.REVISITS, plan["today"])}


def test_a_missed_appointment_puts_the_willing_person_back_on_the_revisits(plan):
    _willing(plan)
    appointment = _today_booking(plan)
    db.session.commit()
    assert plan["duc"].id not in _revisits(plan)
    attendance.did_not_come(appointment, user=plan["lead"], today=plan["today"], now=utcnow())
    db.session.commit()
    row = _revisits(plan)[plan["duc"].id]
    assert row.standing is Standing.WILLING and row.missed.id == appointment.id
    # Booked again: off the revisits until that one is missed too.
    _book(plan, "duc", _session(plan, days_ahead=2))
    db.session.commit()
    assert plan["duc"].id not in _revisits(plan)


def test_a_visit_after_the_missed_appointment_decides_again(plan):
    _willing(plan, minutes_ago=60)
    appointment = _today_booking(plan)
    attendance.did_not_come(appointment, user=plan["lead"], today=plan["today"],
                            now=utcnow() - timedelta(minutes=30))
    _willing(plan, minutes_ago=1)  # willing again, at the door: waiting for a booking
    db.session.commit()
    assert plan["duc"].id not in _revisits(plan)


def test_a_deferral_at_the_screening_is_a_visit_of_the_walks_rule(plan):
    appointment = _today_booking(plan)
    until = plan["today"] + timedelta(days=30)
    visit = attendance.deferred_at_screening(
        appointment, user=plan["lead"], category=ScreeningCategory.DEFERRAL, until=until,
        reason="Sốt cao", today=plan["today"], now=utcnow())
    db.session.commit()
    assert (visit.outcome, visit.deferred_until) == (Outcome.CONTRAINDICATED, until)
    assert db.session.get(Appointment, appointment.id).state is AppointmentState.DEFERRED
    duc = db.session.get(Resident, plan["duc"].id)
    assert standing_of(duc, plan["campaign"], plan["today"]) is Standing.DEFERRED
    deferrals = follow_up_list(plan["lead"], plan["campaign"], FollowUp.DEFERRALS,
                               plan["today"], within_days=60)
    assert [row.resident.id for row in deferrals] == [duc.id]


def test_undo_takes_a_dose_back_for_a_few_minutes_only(plan):
    appointment = _today_booking(plan)
    attendance.record_dose(appointment, user=plan["lead"], vaccine="Moderna", lot=None,
                           today=plan["today"], now=utcnow())
    db.session.commit()
    attendance.undo(appointment, user=plan["lead"], now=utcnow(), today=plan["today"])
    db.session.commit()
    assert db.session.scalars(select(Dose).where(Dose.resident_id == plan["duc"].id,
                                                 Dose.kind == DoseKind.BOOSTER_1)).all() == []
    assert db.session.get(Appointment, appointment.id).state is AppointmentState.BOOKED
    assert plan["duc"].id in {e.resident.id for e in compile_list(
        plan["campaign"], unit("31117"), plan["today"])}
    attendance.did_not_come(appointment, user=plan["lead"], today=plan["today"], now=utcnow())
    with pytest.raises(attendance.AttendanceRefused):
        attendance.undo(appointment, user=plan["lead"], now=utcnow() + timedelta(minutes=6),
                        today=plan["today"])


def test_undo_of_a_deferral_undoes_its_visit(plan):
    appointment = _today_booking(plan)
    visit = attendance.deferred_at_screening(
        appointment, user=plan["lead"], category=ScreeningCategory.CONTRAINDICATION, until=None,
        reason="Phản vệ độ 3 mũi trước", today=plan["today"], now=utcnow())
    db.session.commit()
    attendance.undo(appointment, user=plan["lead"], now=utcnow(), today=plan["today"])
    db.session.commit()
    assert visit.undone_at is not None
    assert standing_of(db.session.get(Resident, plan["duc"].id), plan["campaign"],
                       plan["today"]) is Standing.TO_VISIT


def test_every_step_is_audited(plan):
    appointment = _today_booking(plan)
    attendance.did_not_come(appointment, user=plan["lead"], today=plan["today"], now=utcnow())
    attendance.undo(appointment, user=plan["lead"], now=utcnow(), today=plan["today"])
    attendance.record_dose(appointment, user=plan["lead"], vaccine="Moderna", lot=None,
                           today=plan["today"], now=utcnow())
    db.session.commit()
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["site.create", "session.create", "appointment.book", "appointment.missed",
                       "appointment.undo", "appointment.vaccinated"]
