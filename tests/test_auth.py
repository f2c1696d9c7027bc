"""Logging in and out: each role lands home; bad input is refused in Vietnamese and changes nothing."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.extensions import db

HOME_MARKERS = {
    Role.SCREENER: 'id="hamlets"',
    Role.COMMUNE_LEAD: 'id="progress"',
    Role.DISTRICT_OFFICER: 'id="coverage"',
    Role.CLERK: 'id="approved"',
    Role.ADMIN: 'id="accounts"',
}


def test_login_page_is_in_vietnamese_by_default(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html
    assert "Tên đăng nhập" in html


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_own_home_page(client, users, role):
    response = client.login(role.value)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert HOME_MARKERS[role] in home
    for other, marker in HOME_MARKERS.items():
        if other is not role:
            assert marker not in home


def _login_state(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
            db.session.scalar(select(User.last_login_at).where(User.username == "screener")),
        )


@pytest.mark.parametrize(
    "username, password",
    [("screener", "wrong-password-1"), ("nobody", "tungnha-demo"), ("SCREENER ", "tungnha-dem0")],
)
def test_wrong_credentials_get_one_vietnamese_message_and_change_nothing(
    app, client, users, username, password
):
    before = _login_state(app)
    response = client.login(username, password)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # The same words for an unknown user and a wrong password: no hint which one exists.
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in html
    assert _login_state(app) == before
    assert client.get("/").status_code == 302  # still not logged in


def test_user_name_is_not_case_sensitive(client, users):
    assert client.login("Screener").status_code == 302


def test_empty_fields_get_messages_beside_each_field(app, client, users):
    before = _login_state(app)
    response = client.post_form("/login", {"username": "", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Vui lòng nhập tên đăng nhập." in html
    assert "Vui lòng nhập mật khẩu." in html
    assert 'aria-invalid="true"' in html
    assert _login_state(app) == before


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"username": "screener", "password": "tungnha-demo"})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_deactivated_account_cannot_log_in(app, client, users):
    with app.app_context():
        db.session.get(User, users[Role.SCREENER]).is_enabled = False
        db.session.commit()
    response = client.login("screener")
    assert response.status_code == 422
    assert "Tài khoản này đã bị khóa" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_deactivating_a_user_ends_their_open_session(app, client, users):
    client.login("screener")
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.get(User, users[Role.SCREENER]).is_enabled = False
        db.session.commit()
    assert client.get("/").status_code == 302


def test_new_session_token_logs_out_every_session(app, client, users):
    from portal.auth.models import new_session_token

    client.login("admin")
    with app.app_context():
        db.session.get(User, users[Role.ADMIN]).session_token = new_session_token()
        db.session.commit()
    assert client.get("/").status_code == 302


def test_login_is_audited_with_address(app, client, users):
    client.login("clerk")
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.login")).one()
        assert event.username == "clerk"
        assert event.address == "127.0.0.1"


def test_logout_needs_a_post_with_csrf_and_ends_the_session(client, users):
    client.login("screener")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/").status_code == 200
    response = client.post_form("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_anonymous_visitor_is_sent_to_login_with_the_page_to_come_back_to(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")


def test_anonymous_htmx_request_is_told_to_navigate_to_login(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_login_returns_to_the_page_asked_for(client, users):
    token = client.csrf_token()
    response = client.post(
        "/login",
        data={"username": "screener", "password": "tungnha-demo", "next": "/healthz",
              "csrf_token": token},
    )
    assert response.headers["Location"] == "/healthz"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, users, target):
    token = client.csrf_token()
    response = client.post(
        "/login",
        data={"username": "screener", "password": "tungnha-demo", "next": target,
              "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_passwords_are_stored_as_slow_salted_hashes(app, users):
    with app.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert all(h.startswith("scrypt:") for h in hashes)
    assert not any("tungnha-demo" in h for h in hashes)


def test_outside_the_tests_passwords_get_werkzeugs_full_scrypt_cost(tmp_path):
    """The suite hashes cheaply (TEST_HASH_METHOD); a portal as configured does not."""
    from portal import create_app
    from portal.auth.passwords import hash_password

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    with app.app_context():
        assert hash_password("Mật-khẩu-2022").startswith("scrypt:32768:8:1$")


def test_a_session_older_than_its_lifetime_is_refused_by_the_server(app, client, users):
    """The cookie's signature carries its time: an old cookie replayed is not accepted."""
    import time_machine

    lifetime = app.permanent_session_lifetime.total_seconds()
    app.config["IDLE_TIMEOUT"] = 2 * lifetime  # the lifetime alone, not the idle timeout
    client.login("screener")
    assert client.get("/").status_code == 200
    cookie = client.get_cookie("session").value
    with time_machine.travel(time.time() + lifetime - 60, tick=False):
        assert client.get("/").status_code == 200  # a minute before its end: still good
    with time_machine.travel(time.time() + lifetime + 60, tick=False):
        client.set_cookie("session", cookie)  # replayed as it was, whatever the browser's expiry
        answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_session_cookie_flags(app, client, users):
    response = client.login("screener")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    app.config["SESSION_COOKIE_SECURE"] = True  # as in production
    client.post_form("/logout")
    assert "Secure" in client.login("screener").headers["Set-Cookie"]
