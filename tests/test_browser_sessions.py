"""A session on a phone at 360 px: its list fits, and one tap records the dose in place."""

from __future__ import annotations

from sqlalchemy import select

from playwright.sync_api import expect

from portal.auth.models import User
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.models import Dose, DoseKind, Resident
from portal.timeutil import today_local, utcnow
from portal.vaccination import booking, planning
from portal.vaccination.models import SiteKind

from helpers import horizontal_overflow, log_in, unit


def test_the_sessions_list_fits_a_phone_and_a_tap_records_the_dose(app, phone, live_server,
                                                                   world):
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.username == "commune_lead"))
        site = planning.add_site(user=lead, commune=unit("31117"),
                                 name="Trạm Y tế phường Cái Khế", kind=SiteKind.FIXED,
                                 address="Số 1 đường Trần Phú")
        session = planning.plan_session(
            user=lead, site=site, day=today_local(), starts_at="07:30", ends_at="11:00",
            capacity=40, campaigns=[db.session.get(Campaign, world["campaign"])],
            today=today_local())
        for key in ("duc", "nam", "hoa"):
            booking.book(user=lead, resident=db.session.get(Resident, world[key]),
                         campaign=session.campaigns[0], session=session, today=today_local(),
                         now=utcnow())
        db.session.commit()
        session_id = session.id
    log_in(phone, live_server, "commune_lead", touch=True)
    phone.wait_for_url(f"{live_server}/")
    phone.goto(f"{live_server}/sessions")
    assert horizontal_overflow(phone) <= 0
    phone.goto(f"{live_server}/sessions/{session_id}")
    assert horizontal_overflow(phone) <= 0
    row = phone.locator(".person-row").first
    row.locator("select[name=vaccine]").select_option("Pfizer-BioNTech")
    row.locator("form.taps-row button[type=submit]").tap()
    expect(phone.locator(".person-row").first.locator(".badge")).to_have_text("Đã tiêm")
    assert horizontal_overflow(phone) <= 0
    phone.screenshot(path="/tmp/tungnha-session-list.png", full_page=True)
    with app.app_context():
        assert db.session.scalar(select(Dose).where(
            Dose.resident_id == world["duc"], Dose.kind == DoseKind.BOOSTER_1)) is not None
