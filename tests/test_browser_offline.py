"""Field work with no signal, in a real browser (Debian's Chromium, 360x740, touch) against the
portal in its own process: the walk and the cards open offline from the phone's copy, visits
wait in the outbox through a reload, reach the server once each even when it dies during the
send, a visit the portal refuses stays with its reason, and a phone shows a next user nothing
of the last one's people."""

from __future__ import annotations

import time
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.auth.models import Role, User
from portal.auth.session import UserSession
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.residents.models import (
    Dose, DoseKind, Household, RecordSource, Resident, ResidentStatus, Sex,
)
from portal.residents.search import index_resident
from portal.text import fold
from portal.timeutil import utcnow
from portal.visits.models import Visit

from helpers import horizontal_overflow, log_in, unit

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


@pytest.fixture
def hamlet(app, world):
    """The screener works in 31117-01, where three more adults of one house need booster 1
    (with Đức and Nam: five to visit); screener2 works in 31117-02 (Lê Thị Hoa)."""
    with app.app_context():
        place = unit("31117-01")
        house = Household(hamlet_id=place.id, code="HGĐ-0003", address="Số 9, đường Trần Phú")
        db.session.add(house)
        db.session.flush()
        ids = {}
        for key, name, born, sex in (("tam", "Phạm Văn Tâm", date(1970, 4, 4), Sex.MALE),
                                     ("mai", "Võ Thị Mai", date(1972, 8, 8), Sex.FEMALE),
                                     ("hung", "Đặng Văn Hùng", date(1995, 1, 1), Sex.MALE)):
            resident = Resident(hamlet_id=place.id, household_id=house.id, full_name=name,
                                name_folded=fold(name), birth_date=born, birth_year=born.year,
                                sex=sex)
            db.session.add(resident)
            db.session.flush()
            index_resident(resident, place.parent_id)
            for n, kind in enumerate((DoseKind.DOSE_1, DoseKind.DOSE_2)):
                db.session.add(Dose(resident_id=resident.id, kind=kind, vaccine="Pfizer-BioNTech",
                                    given_on=date(2021, 9 + n, 1), source=RecordSource.PLATFORM))
            ids[key] = resident.id
        screener = db.session.scalar(select(User).where(User.username == "screener"))
        screener.hamlets = [place]
        other = User(username="screener2", full_name="Tổ rà soát khu vực 2",
                     password_hash=screener.password_hash, role=Role.SCREENER,
                     unit=screener.unit, hamlets=[unit("31117-02")])
        db.session.add(other)
        db.session.commit()
        return {"id": place.id, **ids}


def _wait(page, expression: str, seconds: float = 20) -> None:
    """Until a script of the page answers true (it may return a promise)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        time.sleep(0.1)
    raise AssertionError(f"not true after {seconds} s: {expression}")


COPY_KEPT = ("Promise.all([TungNha.all('copies'), caches.open('tungnha-user')"
             ".then(c => c.match('/offline/shell'))]).then(([c, s]) => c.length === 1 && !!s)")


def _phone(browser):
    context = browser.new_context(**PHONE)
    return context, context.new_page()


def _record(phone, outcome: str) -> None:
    """Tap an outcome on the card; refused asks its reason first."""
    if outcome == "refused":
        phone.locator("details.more-outcome summary", has_text="Từ chối tiêm").tap()
        form = phone.locator("form.outcome:has(input[name=outcome][value=refused])")
        form.locator("select[name=refusal_reason]").select_option("side_effects")
        form.locator("button[type=submit]").tap()
    else:
        phone.locator(f"form.outcome:has(input[name=outcome][value={outcome}]) "
                      "button[type=submit]").tap()


def _card(phone, name: str) -> None:
    phone.locator("a.person-row", has_text=name).first.tap()
    expect(phone.locator("section.person h1")).to_have_text(name)


def _knocks(app) -> list[tuple[str, int]]:
    with app.app_context():
        return db.session.execute(select(Visit.client_uuid, func.count()).group_by(
            Visit.client_uuid)).all()


def test_five_visits_recorded_offline_reach_the_server_once_each(app, browser, served, hamlet,
                                                                  world):
    context, phone = _phone(browser)
    log_in(phone, served.url, "screener", touch=True, home=True)
    phone.goto(f"{served.url}/walk")
    _wait(phone, COPY_KEPT)

    # The first visit on the card the portal drew, when the signal drops as it is saved.
    phone.goto(f"{served.url}/residents/{world['duc']}")
    context.set_offline(True)
    _record(phone, "absent")
    expect(phone.locator("#record .outbox-entry.waiting")).to_contain_text("Vắng nhà")
    expect(phone.locator("#outbox-link")).to_contain_text("1 chờ gửi")
    expect(phone.locator("#net-status")).to_contain_text("lần thăm đã được giữ trên điện thoại")

    # The rest with no network at all: the hamlet and the cards from the copy.
    phone.goto(f"{served.url}/walk/{hamlet['id']}")
    app_box = phone.locator("#offline-app")
    expect(app_box).to_contain_text("Không có mạng: trang này được hiển thị từ bản sao")
    expect(app_box).to_contain_text("Bản sao lúc")
    expect(app_box).to_contain_text("Còn 5/7 người cần rà soát")
    assert horizontal_overflow(phone) <= 0
    _card(phone, "Nguyễn Văn Đức")
    _record(phone, "willing")  # the same person again, later in the walk: a visit of its own
    expect(phone.locator("#record .outbox-entry")).to_have_count(2)
    assert horizontal_overflow(phone) <= 0
    phone.locator(".crumbs a").tap()
    _card(phone, "Trần Văn Nam")
    _record(phone, "refused")
    phone.go_back()
    _card(phone, "Phạm Văn Tâm")
    _record(phone, "absent")
    phone.go_back()
    _card(phone, "Võ Thị Mai")
    _record(phone, "willing")
    expect(phone.locator("#outbox-link")).to_contain_text("5 chờ gửi")
    # A sixth, taken back before it was sent: undo takes it out of the outbox.
    phone.go_back()
    _card(phone, "Đặng Văn Hùng")
    _record(phone, "absent")
    expect(phone.locator("#outbox-link")).to_contain_text("6 chờ gửi")
    phone.locator("#record .outbox-entry button.outbox-discard", has_text="Hoàn tác").tap()
    expect(phone.locator("#record .outbox-entry")).to_have_count(0)
    expect(phone.locator("#outbox-link")).to_contain_text("5 chờ gửi")
    phone.screenshot(path="/tmp/tungnha-offline-card.png", full_page=True)

    # A reload with no network: the five are still there, counted, on the walk and the card.
    phone.goto(f"{served.url}/walk/{hamlet['id']}")
    phone.reload()
    expect(phone.locator("#outbox-link")).to_contain_text("5 chờ gửi")
    expect(phone.locator("[data-resident-row='%d'] .chip.outbox" % world["duc"])).to_contain_text("(2)")
    _card(phone, "Nguyễn Văn Đức")
    expect(phone.locator("#record .outbox-entry.waiting")).to_have_count(2)
    assert _knocks(app) == []

    # The network comes back; the server dies as it answers the batch, after saving it.
    served.kill_when_answering("POST /visits/batch")
    context.set_offline(False)
    assert served.killed.wait(30), "the batch was never sent"
    knocks = _knocks(app)
    assert len(knocks) == 5 and all(n == 1 for _, n in knocks)
    expect(phone.locator("#outbox-link")).to_contain_text("5 chờ gửi")  # no answer: all wait

    # The outbox opens from the phone while the portal is down: all five wait, none lost.
    phone.goto(f"{served.url}/outbox")
    expect(phone.locator("#offline-app .outbox-list > li")).to_have_count(5)
    send = phone.locator("#offline-app button", has_text="Gửi ngay")
    expect(send).to_be_visible()
    _wait(phone, "document.querySelector('#outbox-link .n').textContent === '5'")
    served.start()
    send.tap()
    expect(phone.locator("#offline-app")).to_contain_text("Không có lần thăm nào đang chờ")
    expect(phone.locator("#outbox-link")).to_be_hidden()
    assert sorted(_knocks(app)) == sorted(knocks)  # the same five, none doubled
    with app.app_context():
        visits = list(db.session.scalars(select(Visit).order_by(Visit.id)))
        assert [(v.resident_id, v.outcome.value) for v in visits] == [
            (world["duc"], "absent"), (world["duc"], "willing"), (world["nam"], "refused"),
            (hamlet["tam"], "absent"), (hamlet["mai"], "willing")]
        # Recorded on the phone before it reached the server.
        assert all(v.visited_at <= v.created_at for v in visits)
    context.close()


def test_a_visit_the_portal_refuses_stays_on_the_phone_with_its_reason(
        app, browser, served, hamlet, client):
    context, phone = _phone(browser)
    log_in(phone, served.url, "screener", touch=True, home=True)
    phone.goto(f"{served.url}/walk")
    _wait(phone, COPY_KEPT)
    context.set_offline(True)
    phone.goto(f"{served.url}/residents/{hamlet['hung']}")
    _record(phone, "willing")
    expect(phone.locator("#outbox-link")).to_contain_text("1 chờ gửi")

    # Meanwhile the commune lead learns that Hùng has moved away, and records it.
    with app.app_context():
        db.session.get(Resident, hamlet["hung"]).status = ResidentStatus.MOVED_AWAY
        db.session.commit()

    context.set_offline(False)
    phone.goto(f"{served.url}/residents/{hamlet['hung']}")
    refused = phone.locator("#record .outbox-entry.refused")
    expect(refused).to_be_visible(timeout=20_000)
    expect(refused).to_contain_text("Không được nhận")
    expect(refused).to_contain_text("chuyển đi")
    expect(phone.locator("#outbox-link")).to_contain_text("1 chờ gửi")
    phone.screenshot(path="/tmp/tungnha-offline-refused.png", full_page=True)
    assert _knocks(app) == []
    refused.locator("button.outbox-discard").tap()
    expect(refused).to_have_count(0)
    expect(phone.locator("#outbox-link")).to_be_hidden()
    context.close()


def test_after_logout_the_next_user_of_the_phone_reads_none_of_the_last_ones_residents(
        app, browser, served, hamlet, world):
    context, phone = _phone(browser)
    log_in(phone, served.url, "screener", touch=True, home=True)
    phone.goto(f"{served.url}/walk")
    _wait(phone, COPY_KEPT)
    phone.locator("form[data-logout] button").tap()  # nothing waits: no question asked
    phone.wait_for_url(f"{served.url}/login*")
    assert phone.evaluate("TungNha.all('copies').then(c => c.length)") == 0
    assert phone.evaluate("caches.has('tungnha-user')") is False

    log_in(phone, served.url, "screener2", touch=True, home=True)
    phone.goto(f"{served.url}/walk")
    _wait(phone, COPY_KEPT)
    kept = phone.evaluate("TungNha.all('copies').then(c => c.flatMap(r => r.data.people.map(p => p[2])))")
    assert kept == ["Lê Thị Hoa"]

    context.set_offline(True)
    for path in (f"/walk/{hamlet['id']}", f"/residents/{world['duc']}", "/follow-up/revisits"):
        phone.goto(served.url + path)
        expect(phone.locator("#offline-app")).to_contain_text("Không có mạng")
        page = phone.locator("body").inner_text()
        for name in ("Nguyễn Văn Đức", "Nguyễn Thị Lan", "Trần Văn Nam", "Phạm Văn Tâm"):
            assert name not in page, (path, name)
    context.close()


def test_a_visit_kept_offline_waits_through_a_login_and_is_sent_after_it(app, browser, served,
                                                                          hamlet, world):
    context, phone = _phone(browser)
    log_in(phone, served.url, "screener", touch=True, home=True)
    phone.goto(f"{served.url}/walk")
    _wait(phone, COPY_KEPT)
    context.set_offline(True)
    phone.goto(f"{served.url}/residents/{hamlet['tam']}")
    _record(phone, "absent")
    expect(phone.locator("#outbox-link")).to_contain_text("1 chờ gửi")

    # While the phone was out of signal, the session ended (idle too long, logged out elsewhere).
    with app.app_context():
        for login in db.session.scalars(select(UserSession)):
            login.ended_at = utcnow()
        db.session.commit()
    context.set_offline(False)
    banner = phone.locator("#net-status")
    expect(banner).to_contain_text("Phiên đăng nhập đã hết: 1 lần thăm đang chờ", timeout=20_000)
    assert _knocks(app) == []
    phone.locator("#net-status .net-login").tap()
    phone.wait_for_url(f"{served.url}/login*")
    phone.fill("#username", "screener")
    phone.fill("#password", DEMO_PASSWORD)
    phone.tap("button[type=submit]")
    # Back on the card it came from; the visit goes by itself, under its author.
    phone.wait_for_url(f"{served.url}/residents/{hamlet['tam']}")
    _wait(phone, "TungNha.all('outbox').then(o => o.length === 0)")
    expect(phone.locator("#outbox-link")).to_be_hidden()
    with app.app_context():
        visits = list(db.session.scalars(select(Visit)))
        assert [(v.resident_id, v.outcome.value, v.user.username) for v in visits] == [
            (hamlet["tam"], "absent", "screener")]
    context.close()
