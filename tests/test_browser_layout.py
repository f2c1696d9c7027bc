"""In a real browser at 360 px: every role logs in, lands home, and nothing scrolls sideways."""

from __future__ import annotations

import pytest

from portal.auth.models import Role

from helpers import horizontal_overflow, log_in


@pytest.mark.parametrize("role", list(Role))
def test_each_role_logs_in_on_a_phone_without_sideways_scrolling(
    phone, live_server, users, role, tmp_path
):
    log_in(phone, live_server, role.value)
    phone.wait_for_url(f"{live_server}/")
    assert phone.locator("html").get_attribute("lang") == "vi"
    assert phone.locator(".topbar .who strong").inner_text() == f"Cán bộ {role.value}"
    assert horizontal_overflow(phone) <= 0
    phone.screenshot(path=str(tmp_path / f"home-{role.value}.png"), full_page=True)


def test_htmx_is_served_by_the_portal_and_swaps_422(phone, live_server):
    phone.goto(f"{live_server}/login")
    phone.wait_for_load_state("load")  # deferred scripts have run
    assert phone.evaluate("htmx.version") == "2.0.11"
    codes = phone.evaluate("htmx.config.responseHandling.map(r => [r.code, r.swap])")
    assert ["422", True] in codes
    assert phone.evaluate("htmx.config.historyCacheSize") == 0


def test_a_wrong_password_is_explained_in_vietnamese_on_the_phone(phone, live_server, users):
    log_in(phone, live_server, "screener", "not-the-password-1")
    assert phone.locator(".alert").inner_text() == "Tên đăng nhập hoặc mật khẩu không đúng."
    assert horizontal_overflow(phone) <= 0
    assert phone.url.startswith(f"{live_server}/login")


def test_the_language_switch_works_with_one_tap(phone, live_server, users):
    log_in(phone, live_server, "commune_lead")
    phone.wait_for_url(f"{live_server}/")
    phone.click("button[value=en]")
    phone.wait_for_selector("html[lang=en]")
    assert "Log out" in phone.locator(".topbar").inner_text()
    phone.reload()
    assert phone.locator("html").get_attribute("lang") == "en"


@pytest.mark.parametrize("username", ["screener", "commune_lead", "district_officer", "clerk",
                                      "admin"])
def test_demo_home_pages_fit_a_phone_with_real_figures(phone, live_server, runner, username):
    """With the demo's names and figures (long ward names, percentages), nothing scrolls sideways."""
    assert runner.invoke(args=["seed-demo", "--residents", "1500"]).exit_code == 0
    log_in(phone, live_server, username)
    phone.wait_for_url(f"{live_server}/")
    assert horizontal_overflow(phone) <= 0
