"""Correcting the register on a phone (Debian's Chromium, 360x740, touch): a commune lead
corrects a birth date, the card shows the change in its history, and where the person stands
in the campaign follows the new age."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.residents.models import RegisterChange

from helpers import horizontal_overflow, log_in


def test_a_lead_corrects_a_birth_date_and_the_card_shows_it_and_the_new_standing(
        app, phone, live_server, world):
    log_in(phone, live_server, "commune_lead", touch=True)
    phone.wait_for_url(f"{live_server}/")
    # Bảo Anh, born 01/06/2015: the register had her as a child, the booster for 18+ does not
    # target her.
    phone.goto(f"{live_server}/residents/{world['be']}")
    standings = phone.locator("#standings")
    expect(phone.locator("#record")).not_to_contain_text("Cần rà soát")
    phone.locator("a.button", has_text="Sửa thông tin").tap()
    expect(phone.locator("h1")).to_have_text("Sửa thông tin")
    assert horizontal_overflow(phone) <= 0
    phone.fill("#birth_date", "1995-06-01")  # she is 31: the register had the wrong year
    phone.locator("button[type=submit]", has_text="Lưu thay đổi").tap()
    phone.wait_for_url(f"{live_server}/residents/{world['be']}*")
    history = phone.locator("#history")
    expect(history).to_contain_text("Ngày sinh: 01/06/2015 → 01/06/1995")
    expect(history).to_contain_text("bởi Cán bộ commune_lead, lúc")
    expect(standings).to_contain_text("Cần rà soát")
    assert horizontal_overflow(phone) <= 0
    phone.screenshot(path="/tmp/tungnha-correction-card.png", full_page=True)
    with app.app_context():
        assert [(c.field, c.before, c.after) for c in db.session.scalars(
            select(RegisterChange))] == [("birth_date", "2015-06-01", "1995-06-01"),
                                         ("birth_year", "2015", "1995")]
