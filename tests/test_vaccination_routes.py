"""The sessions' screens: a lead adds a site and plans a session, a screener books a willing
person from their card, the site's staff tap through the session's list (printable)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.residents.models import Dose, DoseKind
from portal.timeutil import today_local
from portal.vaccination.models import Appointment, AppointmentState, VaccinationSession

from helpers import HX, unit, uuid_for


def _plan_a_session(client, days_ahead=0, capacity=20) -> int:
    """A site of Phường Cái Khế and a session there, through the lead's screens; its id."""
    commune = str(_commune_id(client))
    client.post_form("/sessions/sites", {"commune": commune, "name": "Trạm Y tế phường",
                                         "kind": "fixed"})
    page = client.get("/sessions").get_data(as_text=True)
    site = re.search(r'<option value="(\d+)">Trạm Y tế phường', page).group(1)
    campaign = re.search(r'name="campaigns" type="checkbox" value="(\d+)"', page).group(1)
    day = today_local() + timedelta(days=days_ahead)
    answer = client.post_form("/sessions/new", {
        "site": site, "day": day.isoformat(), "starts_at": "07:30", "ends_at": "11:00",
        "capacity": str(capacity), "campaigns": campaign})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return int(answer.headers["Location"].rsplit("/", 1)[1])


def _commune_id(client) -> int:
    with client.application.app_context():
        return unit("31117").id


def test_a_lead_adds_a_site_and_plans_a_session_that_the_district_sees(app, client, world):
    client.login("commune_lead")
    session_id = _plan_a_session(client, days_ahead=3)
    page = client.get("/sessions").get_data(as_text=True)
    assert "Trạm Y tế phường" in page and "0 / 20 chỗ" in page
    client.post_form("/logout")
    client.login("district_officer")
    page = client.get("/sessions").get_data(as_text=True)
    assert f'href="/sessions/{session_id}"' in page and "Phường Cái Khế" in page
    assert 'action="/sessions/new"' not in page  # seen, not planned, by the district


def test_a_session_form_with_a_bad_hour_comes_back_with_its_error(app, client, world):
    client.login("commune_lead")
    client.post_form("/sessions/sites", {"commune": str(_commune_id(client)),
                                         "name": "Trường THCS", "kind": "fixed"})
    page = client.get("/sessions").get_data(as_text=True)
    site = re.search(r'<option value="(\d+)">Trường THCS', page).group(1)
    answer = client.post_form("/sessions/new", {"site": site, "day": today_local().isoformat(),
                                                "starts_at": "7h30", "capacity": "0"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Viết giờ theo dạng 07:30." in html and "Từ 1 đến 5000 người." in html
    assert "Chọn một hoặc nhiều đợt tiêm đang mở." in html


def test_a_willing_person_is_booked_from_the_card_and_the_card_shows_it(app, client, world):
    client.login("commune_lead")
    session_id = _plan_a_session(client, days_ahead=2)
    client.post_form("/logout")
    client.login("screener")
    card = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    assert "Đặt lịch hẹn" not in card  # not willing yet
    saved = client.post_form(f"/residents/{world['duc']}/visits", {
        "outcome": "willing", "client_uuid": uuid_for(card, "willing")}, headers=HX)
    record = saved.get_data(as_text=True)
    assert "Đặt lịch hẹn" in record and f'<option value="{session_id}"' in record
    booked = client.post_form(f"/residents/{world['duc']}/appointments", {
        "campaign": str(world["campaign"]), "session": str(session_id)}, headers=HX)
    html = booked.get_data(as_text=True)
    assert booked.status_code == 200
    assert "Chờ tiêm" in html and "Trạm Y tế phường" in html and "Đặt lịch hẹn" not in html
    # Once more (a double tap): refused, with its reason, nothing booked twice.
    again = client.post_form(f"/residents/{world['duc']}/appointments", {
        "campaign": str(world["campaign"]), "session": str(session_id)}, headers=HX)
    assert again.status_code == 422
    with app.app_context():
        assert len(db.session.scalars(select(Appointment)).all()) == 1


def test_leaving_it_to_the_commune_books_without_a_session(app, client, world):
    client.login("screener")
    card = client.get(f"/residents/{world['nam']}").get_data(as_text=True)
    client.post_form(f"/residents/{world['nam']}/visits", {
        "outcome": "willing", "client_uuid": uuid_for(card, "willing")})
    answer = client.post_form(f"/residents/{world['nam']}/appointments", {
        "campaign": str(world["campaign"]), "session": "commune"}, headers=HX)
    assert "xã, phường sẽ sắp xếp buổi tiêm" in answer.get_data(as_text=True)


def _book(app, world, session_id, *people):
    from portal.auth.models import User
    from portal.campaigns.models import Campaign
    from portal.residents.models import Resident
    from portal.timeutil import utcnow
    from portal.vaccination.booking import book

    with app.app_context():
        lead = db.session.scalar(select(User).where(User.username == "commune_lead"))
        session = db.session.get(VaccinationSession, session_id)
        ids = [book(user=lead, resident=db.session.get(Resident, world[person]),
                    campaign=db.session.get(Campaign, world["campaign"]), session=session,
                    today=today_local(), now=utcnow()).id for person in people]
        db.session.commit()
        return ids


def test_the_sessions_list_is_in_hamlet_order_with_what_the_staff_need(app, client, world):
    client.login("commune_lead")
    session_id = _plan_a_session(client)
    _book(app, world, session_id, "hoa", "nam", "duc")  # hoa lives in Khu vực 2
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    names = re.findall(r"<strong>([^<]+)</strong></a>", page)
    assert names == ["Nguyễn Văn Đức", "Trần Văn Nam", "Lê Thị Hoa"]
    assert "0912345678" in page and "Bệnh nền" in page
    assert "Từ 50 tuổi trở lên" in page and "Mũi nhắc lại lần 1" in page
    assert "data-print" in page and "3 / 20 chỗ" in page


def test_one_tap_records_the_dose_and_an_undo_takes_it_back(app, client, world):
    client.login("commune_lead")
    session_id = _plan_a_session(client)
    appointment_id, = _book(app, world, session_id, "duc")
    answer = client.post_form(f"/appointments/{appointment_id}/dose",
                              {"vaccine": "Pfizer-BioNTech", "lot": "FK1234"}, headers=HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Đã tiêm" in html and "FK1234" in html
    with app.app_context():
        dose = db.session.scalar(select(Dose).where(Dose.resident_id == world["duc"],
                                                    Dose.kind == DoseKind.BOOSTER_1))
        assert dose.given_on == today_local() and dose.place == "Trạm Y tế phường"
    assert client.post_form(f"/appointments/{appointment_id}/undo", {}).status_code == 302
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.state is AppointmentState.BOOKED and appointment.dose_id is None


def test_a_dose_form_without_its_vaccine_comes_back_with_its_error(app, client, world):
    client.login("commune_lead")
    session_id = _plan_a_session(client)
    appointment_id, = _book(app, world, session_id, "duc")
    answer = client.post_form(f"/appointments/{appointment_id}/dose", {"vaccine": ""}, headers=HX)
    assert answer.status_code == 422
    assert "Chọn loại vắc xin đã tiêm." in answer.get_data(as_text=True)


def test_did_not_come_puts_the_person_on_the_revisits_page(app, client, world):
    client.login("commune_lead")
    card = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    client.post_form(f"/residents/{world['duc']}/visits", {
        "outcome": "willing", "client_uuid": uuid_for(card, "willing")})
    session_id = _plan_a_session(client)
    appointment_id, = _book(app, world, session_id, "duc")
    client.post_form(f"/appointments/{appointment_id}/missed", {})
    page = client.get("/follow-up/revisits").get_data(as_text=True)
    assert "Nguyễn Văn Đức" in page and "không đến buổi tiêm ngày" in page


def test_a_deferral_at_the_screening_needs_its_reason_and_end(app, client, world):
    client.login("commune_lead")
    session_id = _plan_a_session(client)
    appointment_id, = _book(app, world, session_id, "duc")
    refused = client.post_form(f"/appointments/{appointment_id}/deferred",
                               {"screening_category": "deferral"}, headers=HX)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Hoãn tiêm cần có ngày kết thúc." in html
    until = today_local() + timedelta(days=14)
    saved = client.post_form(f"/appointments/{appointment_id}/deferred", {
        "screening_category": "deferral", "deferred_until": until.isoformat(),
        "reason": "Sốt"}, headers=HX)
    assert saved.status_code == 200
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).state is AppointmentState.DEFERRED


def test_an_admin_sees_the_session_but_not_its_people(app, client, world):
    client.login("commune_lead")
    session_id = _plan_a_session(client)
    _book(app, world, session_id, "duc")
    client.post_form("/logout")
    client.login("admin")
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "1 / 20 chỗ" in page and "Nguyễn Văn Đức" not in page
