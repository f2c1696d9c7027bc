"""/healthz tells a load balancer whether the database answers, and Redis when there is one."""

from __future__ import annotations

import os

from portal import create_app

# The Redis that development and CI machines run (as tests/test_login_throttle.py's).
REDIS_URL = os.environ.get("TUNGNHA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(database_url, tmp_path):
    if database_url.startswith("postgresql"):
        unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2"
    else:
        unreachable = "sqlite:///" + str(tmp_path / "missing-dir" / "db.sqlite3")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": unreachable,
                      "SECRET_KEY": "test"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_healthz_needs_no_login(client):
    assert client.get("/healthz").status_code == 200


def test_healthz_says_redis_answers_when_it_does(app, client):
    app.config["REDIS_URL"] = REDIS_URL
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}
