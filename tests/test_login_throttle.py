"""Failed logins are throttled per account and per address, in memory or on Redis."""

from __future__ import annotations

import os
import re
import time

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.extensions import db

# A database of its own on the Redis that development and CI machines run: emptied per test.
REDIS_URL = os.environ.get("TUNGNHA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PAUSED = "Bạn đăng nhập sai quá nhiều lần"


@pytest.fixture(params=["memory", "redis"])
def storage(request, app):
    """The limiter's storage: this process's memory, or the Redis that CI runs."""
    from portal.extensions import limiter

    if request.param == "redis":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        app.config["RATELIMIT_STORAGE_URI"] = REDIS_URL
        limiter.init_app(app)  # bind the storage the config now names
        assert "redis" in type(limiter.storage).__name__.lower()
    return request.param


def _logins(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "user.login"))


def test_an_account_is_paused_after_five_failures_even_with_the_right_password(
    app, client, users, storage
):
    for _ in range(5):
        assert client.login("screener", "wrong-password-1").status_code == 422
    paused = client.login("screener")
    assert paused.status_code == 429
    html = paused.get_data(as_text=True)
    assert PAUSED in html
    assert re.search(r"tạm dừng trong 1[45] phút", html)
    assert _logins(app) == 0
    # Typed in capitals or with spaces, it is the same account.
    assert client.login(" SCREENER ").status_code == 429
    # Another account from the same address is not paused by this one.
    assert client.login("commune_lead").status_code == 302


def test_successful_logins_do_not_count(app, client, users, storage):
    for _ in range(7):
        assert client.login("clerk").status_code == 302
        client.post_form("/logout")
    assert _logins(app) == 7


def test_an_address_trying_many_accounts_is_paused(app, client, users, storage):
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = "8 per 15 minutes"
    for n in range(8):
        assert client.login(f"guess{n}", "wrong-password-1").status_code == 422
    assert client.login("admin").status_code == 429


def _from(address: str) -> dict:
    """Request keywords for a client at another address (another phone, another carrier)."""
    return {"environ_base": {"REMOTE_ADDR": address}}


def _throttle_events(app) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.throttled")
                                  .order_by(AuditEvent.id)).all()


def test_an_attacker_cannot_lock_the_owner_out(app, users, storage):
    attacker, owner = app.test_client(), app.test_client()
    for _ in range(5):
        assert attacker.login("screener", "wrong-password-1", **_from("203.0.113.9")).status_code == 422
    assert attacker.login("screener", **_from("203.0.113.9")).status_code == 429
    assert owner.login("screener", **_from("198.51.100.7")).status_code == 302
    assert owner.get("/").status_code == 200


def test_failures_behind_one_address_do_not_stop_the_others_behind_it(app, users, storage):
    """A carrier's NAT: a whole commune's phones come from one address."""
    nat = "10.64.0.1"
    guesser, colleague = app.test_client(), app.test_client()
    for _ in range(30):  # one account tried 30 times: paused after 5, the rest not even checked
        assert guesser.login("screener", "wrong-password-1", **_from(nat)).status_code in (422, 429)
    for n in range(30):  # and 30 failures across names that do not exist
        assert guesser.login(f"guess{n}", "wrong-password-1", **_from(nat)).status_code == 422
    assert colleague.login("commune_lead", **_from(nat)).status_code == 302


def test_an_account_tried_from_everywhere_is_slowed_not_locked(app, users, storage):
    phone = app.test_client()  # the owner's own phone, logged in there before
    assert phone.login("screener", **_from("198.51.100.7")).status_code == 302
    phone.post_form("/logout")
    for n in range(11):  # ten failures are let through; the eleventh makes the next try wait
        botnet = app.test_client()
        assert botnet.login("screener", "wrong-password-1", **_from(f"203.0.113.{n}")).status_code == 422
    borrowed = app.test_client()  # the owner on a borrowed phone: asked to wait seconds, not minutes
    slowed = borrowed.login("screener", **_from("192.0.2.50"))
    assert slowed.status_code == 429
    assert re.search(r"chờ [12] giây", slowed.get_data(as_text=True))
    assert phone.login("screener", **_from("198.51.100.7")).status_code == 302  # not slowed at all
    time.sleep(2.1)
    assert borrowed.login("screener", **_from("192.0.2.50")).status_code == 302


def test_each_failure_past_the_account_limit_makes_the_wait_longer(app, users):
    import time_machine

    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = "3 per 15 minutes"
    waits = []
    start = time.time()
    for n in range(10):
        with time_machine.travel(start + 70 * n, tick=False):  # each wait has passed
            assert app.test_client().login(
                "clerk", "wrong-password-1", **_from(f"203.0.113.{n}")).status_code == 422
            answer = app.test_client().login("clerk", **_from("192.0.2.50"))
            found = re.search(r"chờ (\d+) giây", answer.get_data(as_text=True))
            waits.append(int(found.group(1)) if found else 0)
    assert waits == [0, 0, 0, 2, 4, 8, 16, 32, 60, 60]


def test_the_admin_sees_what_was_throttled(app, client, users, storage):
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = "12 per 15 minutes"
    attacker = app.test_client()
    for _ in range(8):  # five failures, then three refused tries: one event, not three
        attacker.login("screener", "wrong-password-1", **_from("203.0.113.9"))
    for n in range(8):  # seven more failures make twelve from the address; the eighth is paused
        attacker.login(f"guess{n}", "wrong-password-1", **_from("203.0.113.9"))
    for n in range(12):
        app.test_client().login("clerk", "wrong-password-1", **_from(f"198.51.100.{n}"))
    events = _throttle_events(app)
    assert [(e.after["throttle"], e.after["account"], e.address) for e in events] == [
        ("account_at_address", "screener", "203.0.113.9"),
        ("address", "guess7", "203.0.113.9"),
        ("account", "clerk", "198.51.100.11"),
    ]
    client.login("admin")
    home = client.get("/").get_data(as_text=True)
    section = home.split('id="throttles"')[1]
    assert "Tài khoản này từ địa chỉ này: tạm dừng" in section
    assert "Mọi tài khoản từ địa chỉ này: tạm dừng" in section
    assert "Tài khoản này từ mọi địa chỉ: làm chậm" in section
    assert "203.0.113.9" in section and "screener" in section and "clerk" in section
    trail = client.get("/audit?action=login.throttled").get_data(as_text=True)
    assert trail.count("Đăng nhập bị tạm dừng hoặc làm chậm") >= 3


def test_a_throttled_login_of_an_unknown_name_is_for_the_top_admins_only(app, users, storage):
    for _ in range(6):
        app.test_client().login("nobody", "wrong-password-1", **_from("203.0.113.9"))
    (event,) = _throttle_events(app)
    assert event.unit_id is None and event.object_id is None
