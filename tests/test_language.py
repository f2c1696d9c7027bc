"""Vietnamese first, English by a switch that persists."""

from __future__ import annotations

from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db


def test_switching_to_english_persists_across_pages(client, users):
    client.login("screener")
    assert "Đăng xuất" in client.get("/").get_data(as_text=True)
    response = client.post_form("/language", {"locale": "en"}, headers={"Referer": "http://localhost/"})
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Log out" in html
    assert "Đăng xuất" not in html


def test_the_choice_outlives_logging_out_and_in(app, client, users):
    client.login("clerk")
    client.post_form("/language", {"locale": "en"})
    client.post_form("/logout")
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.username == "clerk")) == "en"


def test_the_account_remembers_its_language_on_another_device(app, users):
    first = app.test_client()
    first.login("admin")
    first.post_form("/language", {"locale": "en"})
    second = app.test_client()  # no cookie from the first device
    second.login("admin")
    assert '<html lang="en">' in second.get("/").get_data(as_text=True)


def test_an_unknown_language_falls_back_to_vietnamese(client, users):
    client.post_form("/language", {"locale": "fr"})
    assert '<html lang="vi">' in client.get("/login").get_data(as_text=True)


def test_switching_language_needs_csrf(client):
    assert client.post("/language", data={"locale": "en"}).status_code == 400
