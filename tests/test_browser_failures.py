"""A save that fails speaks, in a real browser at 360x740: no network, a server fault; and the
retry it offers saves the knock once."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.extensions import db
from portal.residents.models import Resident
from portal.visits.models import Visit

from helpers import accounts_locked, horizontal_overflow, log_in


def _knocks(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(func.distinct(Visit.client_uuid))))


def _absent(phone):
    return phone.locator("form.outcome:has(input[name=outcome][value=absent]) button[type=submit]")


def test_a_save_with_no_network_says_so_and_sends_again_once(app, phone, live_server, world):
    # "Nobody at home" is not kept on the phone (a visit's outcome is: test_browser_offline.py):
    # with no network it says so, and sending it again once the signal is back saves it once.
    log_in(phone, live_server, "screener", touch=True, home=True)
    with app.app_context():
        hamlet_id = db.session.get(Resident, world["duc"]).hamlet_id
    phone.goto(f"{live_server}/walk/{hamlet_id}")
    phone.on("dialog", lambda dialog: dialog.accept())
    status = phone.locator("#net-status")
    expect(status).to_be_hidden()
    nobody = phone.locator("article.household:has-text('Nguyễn Văn Đức') form button")

    phone.context.set_offline(True)
    nobody.tap()
    expect(status).to_be_visible()
    expect(status).to_contain_text("điện thoại đang mất mạng")
    expect(status.locator(".net-retry")).to_be_visible()
    expect(status.locator(".net-login")).to_be_hidden()  # nothing to log in again for
    assert _knocks(app) == 0
    assert horizontal_overflow(phone) <= 0
    phone.screenshot(path="/tmp/tungnha-offline-save.png")

    # Still no signal: sending again says the same, nothing is saved.
    status.locator(".net-retry").tap()
    expect(status).to_contain_text("điện thoại đang mất mạng")
    assert _knocks(app) == 0

    phone.context.set_offline(False)
    status.locator(".net-retry").tap()
    expect(phone.locator("article.household:has-text('Nguyễn Văn Đức')")).to_contain_text(
        "Đã ghi: cả hộ vắng nhà")
    expect(status).to_be_hidden()
    assert _knocks(app) == 1  # Đức, once (Lan of the same house is up to date)


def test_a_server_fault_says_so_and_the_retry_saves(app, phone, live_server, world,
                                                     database_url):
    log_in(phone, live_server, "screener", touch=True, home=True)
    phone.goto(f"{live_server}/residents/{world['duc']}")
    status = phone.locator("#net-status")
    # Another connection holds the lock the save needs: the request gives up on it and the
    # portal answers its own 503 (the database's lock wait, portal/database.py).
    app.config["DATABASE_LOCK_TIMEOUT"] = 0.5  # the app is this test's own
    with accounts_locked(app, database_url):
        _absent(phone).tap()
        expect(status).to_be_visible(timeout=15_000)
    expect(status).to_contain_text("Hệ thống đang gặp sự cố")
    expect(status).to_contain_text("503")
    assert _knocks(app) == 0
    status.locator(".net-retry").tap()
    expect(phone.locator("#record")).to_contain_text("Đã lưu")
    expect(status).to_be_hidden()
    assert _knocks(app) == 1


def test_a_save_the_portal_refuses_says_so_and_offers_the_page_again(
        app, phone, live_server, world):
    log_in(phone, live_server, "screener", touch=True, home=True)
    phone.goto(f"{live_server}/residents/{world['duc']}")
    status = phone.locator("#net-status")
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 10  # the form is refused as too large: a 413
    try:
        _absent(phone).tap()
        expect(status).to_be_visible()
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    expect(status).to_contain_text("Hệ thống không nhận yêu cầu này")
    expect(status).to_contain_text("413")
    expect(status.locator(".net-retry")).to_be_hidden()
    assert _knocks(app) == 0
    status.locator(".net-reload").tap()
    phone.wait_for_load_state()
    expect(status).to_be_hidden()
    expect(phone.locator("h1")).to_contain_text("Nguyễn Văn Đức")
