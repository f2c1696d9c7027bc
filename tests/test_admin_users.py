"""User administration: admins manage the accounts of their area, commune leads their screeners."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.units.models import AdministrativeUnit

from helpers import HX, field_error, log_in

NEW_PASSWORD = "Cai-Khe-2022!"


def _unit(code: str) -> AdministrativeUnit:
    return db.session.scalar(select(AdministrativeUnit).where(AdministrativeUnit.code == code))


def _account(app, username: str) -> User | None:
    """The account as stored now, with its unit and hamlets loaded (or None)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            _ = (user.unit.code, [h.code for h in user.hamlets])
            db.session.expunge(user)
        return user


def _count_accounts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _add_account(app, username: str, role: Role, unit_code: str, full_name: str | None = None,
                 password: str = NEW_PASSWORD) -> int:
    """An account added straight to the database, as the CLI or the demo would."""
    with app.app_context():
        user = User(username=username, full_name=full_name or username, role=role,
                    password_hash=hash_password(password), unit=_unit(unit_code))
        db.session.add(user)
        db.session.commit()
        return user.id


def _hamlet_id(app, code: str) -> int:
    with app.app_context():
        return _unit(code).id


def _audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
        for event in events:
            db.session.expunge(event)
        return events


def _new_account(**overrides) -> dict:
    data = {"full_name": "Trần Thị Thu", "username": "thu.tran", "password": NEW_PASSWORD,
            "role": "screener", "unit_code": "31120"}
    data.update(overrides)
    return data


def test_admin_creates_an_account_that_can_then_log_in(app, client, users):
    client.login("admin")
    page = client.get("/users/new")
    assert page.status_code == 200
    assert 'name="username"' in page.get_data(as_text=True)
    answer = client.post_form("/users/new", _new_account(
        role="screener", unit_code="31120", hamlets=str(_hamlet_id(app, "31120-02"))))
    thu = _account(app, "thu.tran")
    assert thu is not None
    assert answer.status_code == 302 and answer.headers["Location"] == f"/users/{thu.id}"
    assert (thu.full_name, thu.role, thu.unit.code, thu.is_enabled) == (
        "Trần Thị Thu", Role.SCREENER, "31120", True)
    assert [h.code for h in thu.hamlets] == ["31120-02"]
    assert "Đã tạo tài khoản thu.tran." in client.get(answer.headers["Location"]).get_data(as_text=True)

    newcomer = app.test_client()
    assert newcomer.login("thu.tran", NEW_PASSWORD).status_code == 302
    assert newcomer.get("/").status_code == 200


def test_an_htmx_create_answers_with_the_page_to_load(app, client, users):
    client.login("admin")
    answer = client.post_form("/users/new", _new_account(role="clerk", unit_code="918"), headers=HX)
    assert answer.status_code == 200
    assert answer.headers["HX-Location"] == f"/users/{_account(app, 'thu.tran').id}"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"username": "Screener"}, "username", "Tên đăng nhập này đã có người dùng."),
    ({"username": "thu tran"}, "username", "Tên đăng nhập chỉ gồm chữ cái, chữ số"),
    ({"password": "thutran"}, "password", "Mật khẩu phải có ít nhất 10 ký tự."),
    ({"password": "thu.tran-2022"}, "password", "Mật khẩu không được chứa tên đăng nhập."),
    ({"unit_code": "99999"}, "unit_code", "Không có đơn vị hành chính nào mang mã này."),
    ({"unit_code": "31183"}, "unit_code", "Đơn vị này nằm ngoài địa bàn của bạn."),
    ({"unit_code": "31117-01"}, "unit_code", "Hãy nhập mã của xã, phường"),
    ({"unit_code": "916"}, "unit_code", "Tổ rà soát và lãnh đạo xã thuộc về một xã, phường."),
    ({"full_name": ""}, "full_name", "Vui lòng nhập họ và tên."),
    ({"role": "superuser"}, "role", "Vui lòng chọn vai trò."),
])
def test_bad_input_answers_422_with_a_vietnamese_message_beside_the_field_and_creates_nothing(
    app, client, users, overrides, field, message
):
    # An admin of the Ninh Kiều district: Bình Thủy (31183) lies outside their area.
    _add_account(app, "admin.ninhkieu", Role.ADMIN, "916")
    client.login("admin.ninhkieu", NEW_PASSWORD)
    before = _count_accounts(app)
    answer = client.post_form("/users/new", _new_account(**overrides), headers=HX)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in field_error(html, field)
    assert "<html" not in html  # only the form comes back, to swap in place
    assert 'value="Trần Thị Thu"' in html or not overrides.get("full_name", True)
    assert _count_accounts(app) == before
    assert _audit(app, "user.create") == []


def test_hamlets_of_another_commune_are_refused(app, client, users):
    client.login("admin")
    answer = client.post_form("/users/new", _new_account(
        unit_code="31120", hamlets=str(_hamlet_id(app, "31117-01"))))
    assert answer.status_code == 422
    assert "Các thôn, tổ dân phố này không thuộc xã, phường đã chọn." in answer.get_data(as_text=True)
    assert _account(app, "thu.tran") is None


def test_commune_lead_creates_a_screener_of_their_commune_bound_to_a_hamlet(app, client, users):
    client.login("commune_lead")
    page = client.get("/users/new").get_data(as_text=True)
    assert 'value="31117"' in page and "Khu vực 1" in page  # starts on their own commune
    answer = client.post_form("/users/new", _new_account(
        unit_code="31117", hamlets=str(_hamlet_id(app, "31117-01"))))
    assert answer.status_code == 302
    thu = _account(app, "thu.tran")
    assert (thu.role, thu.unit.code, [h.code for h in thu.hamlets]) == (
        Role.SCREENER, "31117", ["31117-01"])


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"role": "district_officer", "unit_code": "31117"}, "role", "Bạn không được giao vai trò này."),
    ({"role": "commune_lead", "unit_code": "31117"}, "role", "Bạn không được giao vai trò này."),
    ({"role": "screener", "unit_code": "31120"}, "unit_code",
     "Bạn chỉ quản lý được tổ rà soát của xã, phường mình."),
])
def test_commune_lead_cannot_create_other_roles_nor_screeners_of_another_commune(
    app, client, users, overrides, field, message
):
    client.login("commune_lead")
    before = _count_accounts(app)
    answer = client.post_form("/users/new", _new_account(**overrides))
    assert answer.status_code == 422
    assert message in field_error(answer.get_data(as_text=True), field)
    assert _count_accounts(app) == before


def test_commune_lead_sees_and_edits_only_the_screeners_of_their_commune(app, client, users):
    elsewhere = _add_account(app, "screener.anhoa", Role.SCREENER, "31120")
    client.login("commune_lead")
    listing = client.get("/users").get_data(as_text=True)
    assert f'href="/users/{users[Role.SCREENER]}"' in listing
    for other in (elsewhere, users[Role.COMMUNE_LEAD], users[Role.DISTRICT_OFFICER],
                  users[Role.ADMIN]):
        assert f'href="/users/{other}"' not in listing
    assert client.get(f"/users/{elsewhere}").status_code == 404
    edit = {"full_name": "Đổi tên", "role": "screener", "unit_code": "31120"}
    assert client.post_form(f"/users/{elsewhere}", edit).status_code == 404
    assert client.post_form(f"/users/{elsewhere}/deactivate").status_code == 404
    assert client.post_form(f"/users/{elsewhere}/password",
                            {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 404
    assert client.get(f"/users/{users[Role.DISTRICT_OFFICER]}").status_code == 404
    untouched = _account(app, "screener.anhoa")
    assert (untouched.full_name, untouched.is_enabled) == ("screener.anhoa", True)
    assert verify(untouched, NEW_PASSWORD)


def verify(user: User, password: str) -> bool:
    from portal.auth.passwords import verify_password

    return verify_password(user.password_hash, password)


@pytest.mark.parametrize(("change", "field"), [
    ({"role": "district_officer"}, "role"),
    ({"unit_code": "31120"}, "unit_code"),
])
def test_commune_lead_can_neither_promote_a_screener_nor_move_them_out(
    app, client, users, change, field
):
    client.login("commune_lead")
    screener = users[Role.SCREENER]
    form = {"full_name": "Cán bộ screener", "role": "screener", "unit_code": "31117", **change}
    answer = client.post_form(f"/users/{screener}", form)
    assert answer.status_code == 422
    assert field_error(answer.get_data(as_text=True), field)
    kept = _account(app, "screener")
    assert (kept.role, kept.unit.code) == (Role.SCREENER, "31117")
    assert _audit(app, "user.update") == []


def test_an_edit_is_saved_and_audited_with_what_changed(app, client, users):
    client.login("admin")
    screener = users[Role.SCREENER]
    answer = client.post_form(f"/users/{screener}", {
        "full_name": "Lê Văn Tổ", "role": "commune_lead", "unit_code": "31120"})
    assert answer.status_code == 302
    changed = _account(app, "screener")
    assert (changed.full_name, changed.role, changed.unit.code) == (
        "Lê Văn Tổ", Role.COMMUNE_LEAD, "31120")
    [event] = _audit(app, "user.update")
    assert event.object_id == str(screener)
    assert event.before == {"full_name": "Cán bộ screener", "role": "screener", "unit": "31117"}
    assert event.after == {"full_name": "Lê Văn Tổ", "role": "commune_lead", "unit": "31120"}
    # The page the save leads to says so (the save's own answer does not take the message).
    assert "Đã lưu thay đổi." in client.get(answer.headers["Location"]).get_data(as_text=True)


def test_an_admin_cannot_change_their_own_role(app, client, users):
    client.login("admin")
    answer = client.post_form(f"/users/{users[Role.ADMIN]}", {
        "full_name": "Cán bộ admin", "role": "clerk", "unit_code": "92"})
    assert answer.status_code == 422
    assert "Bạn không thể đổi vai trò hay đơn vị của chính mình." in answer.get_data(as_text=True)
    assert _account(app, "admin").role is Role.ADMIN


def test_the_list_filters_by_role_unit_and_a_name_typed_without_accents(app, client, users):
    _add_account(app, "duc", Role.SCREENER, "31183", full_name="Nguyễn Văn Đức")
    client.login("admin")

    def listed(query: str) -> set[str]:
        html = client.get(f"/users?{query}", headers=HX).get_data(as_text=True)
        assert "<html" not in html  # the rows only
        return {name for name in ("screener", "commune_lead", "district_officer", "clerk", "admin",
                                  "duc") if f"<small>{name}</small>" in html}

    assert listed("") == {"screener", "commune_lead", "district_officer", "clerk", "admin", "duc"}
    assert listed("role=screener") == {"screener", "duc"}
    assert listed("unit=916") == {"screener", "commune_lead", "district_officer", "clerk"}
    assert listed("unit=31183") == {"duc"}
    assert listed("q=nguyen van duc") == {"duc"}
    assert listed("q=NGUYỄN VĂN") == {"duc"}
    assert listed("unit=00000") == set()


def test_deactivation_ends_the_users_session_and_stops_their_login(app, client, users):
    screener_phone = app.test_client()
    screener_phone.login("screener")
    assert screener_phone.get("/").status_code == 200

    client.login("commune_lead")
    answer = client.post_form(f"/users/{users[Role.SCREENER]}/deactivate")
    assert answer.status_code == 302
    assert not _account(app, "screener").is_enabled

    sent_away = screener_phone.get("/walk")
    assert sent_away.status_code == 302 and sent_away.headers["Location"].startswith("/login")
    refused = app.test_client().login("screener")
    assert refused.status_code == 422
    assert "Tài khoản này đã bị khóa." in refused.get_data(as_text=True)

    assert client.post_form(f"/users/{users[Role.SCREENER]}/reactivate").status_code == 302
    assert app.test_client().login("screener").status_code == 302
    [off] = _audit(app, "user.deactivate")
    [on] = _audit(app, "user.reactivate")
    assert (off.before, off.after) == ({"is_enabled": True}, {"is_enabled": False})
    assert (on.before, on.after) == ({"is_enabled": False}, {"is_enabled": True})
    assert off.username == "commune_lead"


def test_nobody_can_deactivate_themselves(app, client, users):
    client.login("admin")
    answer = client.post_form(f"/users/{users[Role.ADMIN]}/deactivate")
    assert answer.status_code == 422
    assert "Bạn không thể khóa tài khoản của chính mình." in answer.get_data(as_text=True)
    assert _account(app, "admin").is_enabled
    assert client.get("/users").status_code == 200
    assert _audit(app, "user.deactivate") == []


def test_a_password_reset_ends_sessions_and_the_new_password_works(app, client, users):
    screener_phone = app.test_client()
    screener_phone.login("screener")
    old_token = _account(app, "screener").session_token
    client.login("commune_lead")
    url = f"/users/{users[Role.SCREENER]}/password"

    weak = client.post_form(url, {"password": "12345", "confirm": "12345"}, headers=HX)
    assert weak.status_code == 422
    assert "Mật khẩu phải có ít nhất 10 ký tự." in field_error(weak.get_data(as_text=True), "password")
    mismatch = client.post_form(url, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 422
    assert "Hai mật khẩu không giống nhau." in field_error(mismatch.get_data(as_text=True), "confirm")
    assert screener_phone.get("/").status_code == 200  # nothing changed yet

    done = client.post_form(url, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, headers=HX)
    assert done.status_code == 200
    assert "Đã đổi mật khẩu" in done.get_data(as_text=True)
    assert _account(app, "screener").session_token != old_token
    assert screener_phone.get("/").headers["Location"].startswith("/login")
    assert app.test_client().login("screener").status_code == 422  # the old password
    assert app.test_client().login("screener", NEW_PASSWORD).status_code == 302


def test_an_admin_who_resets_their_own_password_stays_logged_in(app, client, users):
    client.login("admin")
    answer = client.post_form(f"/users/{users[Role.ADMIN]}/password",
                              {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 302
    assert client.get("/users").status_code == 200


def test_every_change_leaves_an_audit_row_without_the_password(app, client, users):
    client.login("admin")
    client.post_form("/users/new", _new_account())
    thu = _account(app, "thu.tran").id
    client.post_form(f"/users/{thu}", {"full_name": "Trần Thị Thu", "role": "screener",
                                       "unit_code": "31120",
                                       "hamlets": str(_hamlet_id(app, "31120-01"))})
    client.post_form(f"/users/{thu}/deactivate")
    client.post_form(f"/users/{thu}/reactivate")
    second = NEW_PASSWORD + "-2"
    client.post_form(f"/users/{thu}/password", {"password": second, "confirm": second})

    password_hash = _account(app, "thu.tran").password_hash
    with app.app_context():
        events = list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == str(thu),
                                     AuditEvent.action.like("user.%")).order_by(AuditEvent.id)))
        rows = [(e.action, e.username, e.before, e.after) for e in events]
    assert [r[0] for r in rows] == ["user.create", "user.update", "user.deactivate",
                                    "user.reactivate", "user.password_reset"]
    assert all(username == "admin" for _, username, _, _ in rows)
    assert rows[0][3] == {"username": "thu.tran", "full_name": "Trần Thị Thu", "role": "screener",
                          "unit": "31120", "hamlets": [], "is_enabled": True}
    assert (rows[1][2], rows[1][3]) == ({"hamlets": []}, {"hamlets": ["31120-01"]})
    assert all(after for _, _, _, after in rows)
    assert all(before for _, _, before, _ in rows[1:])
    trail = json.dumps(rows, ensure_ascii=False)
    for secret in (NEW_PASSWORD, second, password_hash, "scrypt:"):
        assert secret not in trail


ADMIN_ROUTES = [
    ("get", "/users"), ("get", "/users/new"), ("post", "/users/new"),
    ("get", "/users/{id}"), ("post", "/users/{id}"), ("post", "/users/{id}/deactivate"),
    ("post", "/users/{id}/reactivate"), ("post", "/users/{id}/password"),
]


@pytest.mark.parametrize("role", ["screener", "clerk", "district_officer"])
def test_roles_without_user_management_get_403_on_every_admin_route(app, client, users, role):
    client.login(role)
    before = _count_accounts(app)
    target = users[Role.SCREENER]
    for method, path in ADMIN_ROUTES:
        url = path.format(id=target)
        if method == "get":
            answer = client.get(url)
        else:
            answer = client.post_form(url, {**_new_account(), "confirm": NEW_PASSWORD})
        assert answer.status_code == 403, f"{method} {url} as {role}: {answer.status_code}"
    assert _count_accounts(app) == before
    assert _account(app, "screener").is_enabled
    assert _audit(app, "user.password_reset") == []


def test_on_a_phone_a_commune_lead_adds_a_screener_with_htmx_and_nothing_scrolls_sideways(
    phone, live_server, users, app, tmp_path
):
    log_in(phone, live_server, "commune_lead")
    phone.wait_for_url(f"{live_server}/")
    phone.click(".mainnav a[href='/users']")
    phone.wait_for_url(f"{live_server}/users")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.click("a[href='/users/new']")
    phone.fill("#full_name", "Trần Thị Thu")
    phone.fill("#username", "thu.tran")
    phone.fill("#password", "ngan")
    phone.click("#new-account button[type=submit]")
    # The 422 answer is swapped in place: the message beside the field, the name kept.
    phone.wait_for_selector("#password-error")
    assert "Mật khẩu phải có ít nhất 10 ký tự." in phone.locator("#password-error").first.inner_text()
    assert phone.input_value("#full_name") == "Trần Thị Thu"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.fill("#password", NEW_PASSWORD)
    phone.check("#hamlet-choices input[type=checkbox] >> nth=1")
    phone.click("#new-account button[type=submit]")
    phone.wait_for_selector("#password-reset")
    assert "Đã tạo tài khoản thu.tran." in phone.locator(".notice").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=str(tmp_path / "account.png"), full_page=True)
    thu = _account(app, "thu.tran")
    assert [h.code for h in thu.hamlets] == ["31117-02"]
