"""In Chromium at 360x740: an admin opens a second campaign, a screener's one refusal is recorded
for both campaigns of a person, and the commune lead's table of that campaign moves."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from helpers import horizontal_overflow, log_in
from portal.extensions import db
from portal.timeutil import today_local
from portal.visits.models import Outcome, Visit

NAME = "Tiêm mũi nhắc lại lần 2 cho người từ 50 tuổi"


def _refused_in_khu_vuc_1(phone) -> str:
    row = phone.locator("#outcomes tbody tr", has_text="Khu vực 1").first
    return row.locator('td[data-column="refused"]').inner_text()


def _log_out(phone) -> None:
    phone.locator("form[action='/logout'] button").click()
    phone.wait_for_url("**/login")


def test_a_second_campaign_is_screened_in_the_same_knock(app, phone, live_server, world):
    problems = []
    phone.on("pageerror", lambda error: problems.append(str(error)))

    # The admin opens booster 2 for people of 50 and over, through the form.
    log_in(phone, live_server, "admin", touch=True, home=True)
    phone.goto(f"{live_server}/campaigns/new")
    phone.fill("#name", NAME)
    phone.fill("#min_age", "50")
    phone.select_option("#required_dose", "booster_2")
    phone.fill("#deadline", (today_local() + timedelta(days=30)).isoformat())
    phone.tap("button[type=submit].primary")
    phone.wait_for_url(f"{live_server}/campaigns")
    assert NAME in phone.locator("#open-campaigns").inner_text()
    _log_out(phone)

    # The lead works on it (the next deadline): nobody of Khu vực 1 has refused yet.
    log_in(phone, live_server, "commune_lead", touch=True, home=True)
    assert NAME in phone.locator("#campaign").inner_text()
    assert _refused_in_khu_vuc_1(phone) == "0"
    _log_out(phone)

    # The screener's hamlet shows Đức needing both campaigns; one refusal records both.
    log_in(phone, live_server, "screener", touch=True, home=True)
    phone.tap("#hamlets a:has-text('Khu vực 1')")
    phone.wait_for_selector("#walk")
    duc = phone.locator("li", has_text="Nguyễn Văn Đức").first
    assert "18+" in duc.inner_text() and "50+" in duc.inner_text()
    assert horizontal_overflow(phone) <= 0
    duc.locator(".person-row").tap()
    phone.wait_for_selector("#standings")
    assert NAME in phone.locator("#standings").inner_text()
    phone.locator("details.more-outcome summary", has_text="Từ chối").tap()
    phone.select_option("#refused-refusal_reason", "family")
    phone.locator("form.outcome:has(input[name=outcome][value=refused]) button").tap()
    phone.wait_for_selector(".saved")
    assert phone.locator(".saved p", has_text="Từ chối").count() == 2
    assert horizontal_overflow(phone) <= 0
    with app.app_context():
        visits = db.session.scalars(select(Visit).where(Visit.resident_id == world["duc"])).all()
        assert len(visits) == 2 and {v.outcome for v in visits} == {Outcome.REFUSED}
        assert len({v.client_uuid for v in visits}) == 1
    _log_out(phone)

    # The lead's table of the campaign has moved.
    log_in(phone, live_server, "commune_lead", touch=True, home=True)
    assert _refused_in_khu_vuc_1(phone) == "1"
    assert problems == []
