"""A login is a session the server knows: logging out ends it there, and so do idle time and
age, whatever copy of the cookie comes back."""

from __future__ import annotations

import time

import time_machine
from sqlalchemy import func, select

from portal.auth.models import Role, UserSession
from portal.extensions import db
from portal.visits.models import Visit

from helpers import HX, csrf_in, uuid_for

HOUR = 3600


def _visits(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Visit))


def _last_seen(app):
    with app.app_context():
        return db.session.scalars(select(UserSession.last_seen_at)).one()


def _record_absent(client, resident_id: int, page: str):
    """Post a visit as the card's form would, with the token and client id read off the page."""
    return client.post(f"/residents/{resident_id}/visits", headers=HX,
                       data={"csrf_token": csrf_in(page), "outcome": "absent",
                             "client_uuid": uuid_for(page, "absent")})


def test_a_cookie_saved_before_logout_is_refused(app, client, world):
    client.login("screener")
    page = client.get(f"/residents/{world['nam']}").get_data(as_text=True)
    saved = client.get_cookie("session").value
    assert client.post_form("/logout").status_code == 302
    client.set_cookie("session", saved)  # replayed as it was before the logout
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    refused = _record_absent(client, world["nam"], page)
    assert refused.status_code == 401 and refused.headers["HX-Redirect"].startswith("/login")
    assert _visits(app) == 0


def test_logging_out_on_one_phone_leaves_the_other_logged_in(app, world):
    first, second = app.test_client(), app.test_client()
    first.login("screener")
    second.login("screener")
    first.post_form("/logout")
    assert first.get("/").status_code == 302
    page = second.get(f"/residents/{world['nam']}").get_data(as_text=True)
    assert _record_absent(second, world["nam"], page).status_code == 200
    assert _visits(app) == 1


def test_a_session_idle_for_two_hours_ends(app, client, users):
    client.login("screener")
    with time_machine.travel(time.time() + 2 * HOUR - 120, tick=False):
        assert client.get("/").status_code == 200  # two minutes short: still open
    with time_machine.travel(time.time() + 4 * HOUR, tick=False):  # two hours after that
        answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_an_idle_session_ends_like_a_missing_one_and_keeps_the_entry(app, client, world):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    with time_machine.travel(time.time() + 2 * HOUR + 60, tick=False):
        answer = _record_absent(client, world["duc"], page)
        assert answer.status_code == 401
        assert answer.headers["HX-Redirect"].startswith("/login?next=/visits/pending")
        assert _visits(app) == 0
        assert client.login("screener").headers["Location"] == "/visits/pending"


def test_the_idle_timeout_is_configurable(app, client, users):
    app.config["IDLE_TIMEOUT"] = 10 * 60
    client.login("clerk")
    with time_machine.travel(time.time() + 11 * 60, tick=False):
        assert client.get("/").status_code == 302


def test_a_session_in_use_stays_open_past_the_idle_timeout(app, client, users):
    client.login("screener")
    for hours in (1.5, 3, 4.5, 6):
        with time_machine.travel(time.time() + hours * HOUR, tick=False):
            assert client.get("/").status_code == 200


def test_a_session_in_use_still_ends_at_its_lifetime(app, client, users):
    """The cookie is signed afresh on every answer: only the server knows when a login began."""
    lifetime = app.permanent_session_lifetime.total_seconds()
    client.login("screener")
    for hours in (1.5, 3, 4.5, 6, 7.5):
        with time_machine.travel(time.time() + hours * HOUR, tick=False):
            assert client.get("/").status_code == 200
    with time_machine.travel(time.time() + lifetime + 60, tick=False):
        assert client.get("/").status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(app, client, users):
    client.login("screener")
    seen_at_login = _last_seen(app)
    with time_machine.travel(time.time() + 30, tick=False):
        client.get("/")
    assert _last_seen(app) == seen_at_login
    with time_machine.travel(time.time() + 90, tick=False):
        client.get("/")
    assert _last_seen(app) > seen_at_login


def test_logging_in_again_drops_the_sessions_that_are_over(app, users):
    phone = app.test_client()
    for _ in range(3):
        phone.login("screener")
        phone.post_form("/logout")
    other = app.test_client()
    other.login("screener")  # still open: kept beside the new one
    phone.login("screener")
    with app.app_context():
        open_ones = db.session.scalars(select(UserSession)).all()
    assert len(open_ones) == 2 and all(s.ended_at is None for s in open_ones)


def test_deactivation_still_ends_every_device(app, users):
    from portal.auth.models import User

    phones = [app.test_client(), app.test_client()]
    for phone in phones:
        phone.login("screener")
    with app.app_context():
        db.session.get(User, users[Role.SCREENER]).is_enabled = False
        db.session.commit()
    assert [phone.get("/").status_code for phone in phones] == [302, 302]
