"""Failed logins are throttled per account and per address, in memory or on Redis."""

from __future__ import annotations

import os
import re

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
