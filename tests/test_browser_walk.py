"""The screener's walk in a real browser, on a 360x740 touch screen, through HTMX."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.extensions import db
from portal.visits.models import Outcome, RefusalReason, Visit

from helpers import horizontal_overflow, log_in


def _visits(app) -> list[Visit]:
    with app.app_context():
        return db.session.scalars(select(Visit)).all()


def test_a_screener_finds_records_a_refusal_once_and_sees_it_on_the_refusals_list(
    app, phone, live_server, world
):
    # The Content-Security-Policy allows no inline script or style: nothing may trip it.
    problems = []
    phone.on("console", lambda message: problems.append(message.text)
             if message.type == "error" and "Failed to load resource" not in message.text else None)
    phone.on("pageerror", lambda error: problems.append(str(error)))
    # Every file a page asks for exists (a 422 is the refused form, answered on purpose).
    phone.on("response", lambda answer: problems.append(f"{answer.status} {answer.url}")
             if answer.status >= 400 and answer.status != 422 else None)
    log_in(phone, live_server, "screener", touch=True)
    phone.wait_for_url(f"{live_server}/")

    # Search as one types, without accents: the accented names of the screener's ward come back.
    phone.tap("nav >> text=Tìm kiếm")
    phone.locator("#q").press_sequentially("nguyen", delay=40)
    phone.wait_for_selector("#results .person-row")
    names = phone.locator("#results .name").all_inner_texts()
    assert "Nguyễn Văn Đức" in names and "Nguyễn Thị Lan" in names
    assert "Trần Văn Nam" not in names
    # Namesakes in another ward (Bình Thủy) or outside the screener's ward are not shown.
    assert names.count("Nguyễn Văn Đức") == 1 and "Nguyễn Văn Đức Khánh" not in names
    assert phone.url.endswith("q=nguyen")  # the search is in the address, for the back button
    assert horizontal_overflow(phone) <= 0

    phone.locator("#results .person-row", has_text="Nguyễn Văn Đức").tap()
    phone.wait_for_selector("h1:has-text('Nguyễn Văn Đức')")
    assert "Bệnh nền" in phone.inner_text(".person")
    assert horizontal_overflow(phone) <= 0

    # A refusal needs its reason: saved without one, the message comes back beside the field.
    phone.tap("summary:has-text('Từ chối tiêm')")
    refusal = phone.locator("form.outcome:has(input[name=outcome][value=refused])")
    refusal.locator("textarea[name=note]").fill("Để suy nghĩ thêm")
    refusal.locator("button[type=submit]").tap()
    phone.wait_for_selector("text=Vui lòng chọn lý do từ chối.")
    assert _visits(app) == []
    refusal = phone.locator("form.outcome:has(input[name=outcome][value=refused])")
    assert refusal.locator("textarea[name=note]").input_value() == "Để suy nghĩ thêm"

    # Then with the reason; a double tap, and a retry of the same form, still make one visit.
    refusal.locator("select[name=refusal_reason]").select_option(label="Sợ tác dụng phụ")
    phone.evaluate("""() => {
        const form = document.querySelector('form.outcome:has(input[name=outcome][value=refused])');
        window.sentForm = {action: form.action, body: new URLSearchParams(new FormData(form))};
    }""")
    refusal.locator("button[type=submit]").dblclick()
    phone.wait_for_selector("#record .saved")
    assert "Đã lưu: Từ chối tiêm" in phone.inner_text("#record .saved")
    retry_status = phone.evaluate("""async () => {
        const answer = await fetch(window.sentForm.action, {
            method: 'POST', body: window.sentForm.body, headers: {'HX-Request': 'true'}});
        return answer.status;
    }""")
    assert retry_status == 200
    visits = _visits(app)
    assert len(visits) == 1
    assert (visits[0].outcome, visits[0].refusal_reason, visits[0].note) == (
        Outcome.REFUSED, RefusalReason.SIDE_EFFECTS, "Để suy nghĩ thêm")

    # The refusals list shows the resident with the reason, and filters by hamlet.
    phone.goto(f"{live_server}/follow-up/refusals")
    row = phone.locator("#rows tr", has_text="Nguyễn Văn Đức")
    assert "Sợ tác dụng phụ" in row.inner_text()
    phone.locator("#hamlet").select_option(label="Khu vực 2")
    expect(phone.locator("#rows")).not_to_contain_text("Nguyễn Văn Đức")
    assert "Không có người nào" in phone.inner_text("#rows")
    phone.locator("#hamlet").select_option(label="Khu vực 1")
    phone.wait_for_selector("#rows tr:has-text('Nguyễn Văn Đức')")
    assert horizontal_overflow(phone) <= 0
    assert problems == []


def test_undo_on_the_phone_takes_the_visit_back(app, phone, live_server, world):
    log_in(phone, live_server, "screener", touch=True)
    phone.wait_for_url(f"{live_server}/")
    phone.goto(f"{live_server}/residents/{world['nam']}")
    phone.tap("form.outcome:has(input[value=absent]) button")
    phone.wait_for_selector("#record .saved")
    phone.tap("#record .saved button:has-text('Hoàn tác')")
    phone.wait_for_selector("#record .history li.undone")
    with app.app_context():
        visit = db.session.scalars(select(Visit)).one()
        assert visit.undone_at is not None  # kept, marked undone: the history keeps its trace
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
