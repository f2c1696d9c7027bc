"""The list's life in a real browser: submitted, returned, approved, its PDF downloaded."""

from __future__ import annotations

import hashlib
import re

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db
from portal.lists.models import ListFile

from helpers import log_in


def _watch(page, problems):
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda answer: problems.append(f"{answer.status} {answer.url}")
            if answer.status >= 400 and answer.status != 422 else None)


def _logout(page):
    page.click("button:has-text('Đăng xuất')")
    page.wait_for_url("**/login*")


def test_submit_return_approve_and_the_clerk_downloads_the_pdf(
        app, browser, live_server, world, tmp_path):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    _watch(page, problems)

    log_in(page, live_server, "commune_lead", home=True)
    page.goto(f"{live_server}/lists/preview")
    page.fill("#signer_name", "Lê Văn Thành")
    page.click("form[action='/lists/submit'] button[type=submit]")
    page.wait_for_url(re.compile(r"/lists/\d+$"))
    first = page.url
    _logout(page)

    log_in(page, live_server, "district_officer", home=True)
    page.goto(first)
    page.fill("#comment", "Bổ sung lý do cho hộ ông Nam")
    page.click("button:has-text('Trả lại xã, phường')")
    expect(page.locator(".badge").first).to_have_text("Bị trả lại")
    _logout(page)

    log_in(page, live_server, "commune_lead", home=True)
    page.goto(f"{live_server}/lists/preview")
    page.click("form[action='/lists/submit'] button[type=submit]")
    page.wait_for_url(re.compile(r"/lists/\d+$"))
    second = page.url
    assert second != first
    _logout(page)

    log_in(page, live_server, "district_officer", home=True)
    page.goto(second)
    page.click("button:has-text('Phê duyệt')")
    # The approval starts the files; the progress bar polls until the links replace it.
    expect(page.locator("#files a[href$='/download/pdf']")).to_be_visible(timeout=60_000)
    _logout(page)

    log_in(page, live_server, "clerk", home=True)
    page.goto(f"{live_server}/lists")
    page.click(f"a[href='{second.removeprefix(live_server)}']")
    with page.expect_download() as download_info:
        page.click("#files a[href$='/download/pdf']")
    download = download_info.value
    assert download.suggested_filename == "DS-Phuong-Cai-Khe-v2.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    content = saved.read_bytes()
    text = PdfReader(saved).pages[0].extract_text()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Nguyễn Văn Đức" in text
    with app.app_context():
        stored = db.session.scalar(select(ListFile).where(ListFile.format == "pdf",
                                                          ListFile.final.is_(True)))
        assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert problems == []
    context.close()
