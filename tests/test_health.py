"""/healthz tells a load balancer whether the database answers."""

from __future__ import annotations

from portal import create_app


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
