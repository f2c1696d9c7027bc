"""Coverage in a real browser (Debian's Chromium), on a phone (360x740, touch) and on an office
screen (1280x800): a district officer drills from the district to a commune, to a hamlet, to
the people behind a figure, and downloads the day's report."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from helpers import horizontal_overflow, log_in

SCREENS = {
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "office": {"viewport": {"width": 1280, "height": 800}},
}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_district_officer_drills_down_to_the_people_and_downloads_the_daily_report(
        browser, live_server, world, screen):
    context = browser.new_context(accept_downloads=True, **SCREENS[screen])
    page = context.new_page()
    touch = screen == "phone"

    def press(locator):
        locator.tap() if touch else locator.click()

    try:
        log_in(page, live_server, "district_officer", touch=touch, home=True)
        press(page.locator("a.button", has_text="Độ bao phủ theo đơn vị"))
        expect(page.locator("h1")).to_have_text("Độ bao phủ tiêm chủng: Quận Ninh Kiều")
        below = page.locator("#below")
        expect(below).to_contain_text("Phường Cái Khế")
        expect(below).not_to_contain_text("Phường Bình Thủy")  # another district's
        expect(page.locator("#coverage-chart svg title").first).to_contain_text("Tỷ lệ bao phủ")
        assert horizontal_overflow(page) <= 0 if touch else True
        if touch:
            page.screenshot(path="/tmp/tungnha-coverage-district.png", full_page=True)

        press(below.get_by_role("link", name="Phường Cái Khế"))
        expect(page.locator("h1")).to_have_text("Độ bao phủ tiêm chủng: Phường Cái Khế")
        expect(page.locator("nav.trail")).to_contain_text("Quận Ninh Kiều")
        hamlet = page.locator("#below tr", has_text="Khu vực 1")
        # Khu vực 1: Đức and Nam to visit (Lan is up to date, Bảo Anh a child).
        to_visit = hamlet.locator("td[data-column=to_visit] a")
        expect(to_visit).to_have_text("2")
        assert horizontal_overflow(page) <= 0 if touch else True

        press(to_visit)
        expect(page.locator("h1")).to_have_text("Khu vực 1: Cần rà soát")
        people = page.locator("#people")
        expect(people).to_contain_text("Nguyễn Văn Đức")
        expect(people).to_contain_text("Trần Văn Nam")
        expect(people).not_to_contain_text("Nguyễn Thị Lan")
        expect(page.locator("nav.trail")).to_contain_text("Phường Cái Khế")
        assert horizontal_overflow(page) <= 0 if touch else True
        if touch:
            page.screenshot(path="/tmp/tungnha-coverage-people.png", full_page=True)
        press(people.get_by_role("link", name="Nguyễn Văn Đức"))
        expect(page.locator("h1")).to_contain_text("Nguyễn Văn Đức")

        page.goto(f"{live_server}/reports/daily")
        with page.expect_download() as download_info:
            press(page.locator("a.button", has_text="PDF"))
        download = download_info.value
        assert download.suggested_filename.startswith("bao-cao-ngay-")
        with open(download.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
    finally:
        context.close()
