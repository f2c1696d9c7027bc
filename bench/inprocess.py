"""The portal app in this process, on a scratch database: for figures measured inside the server."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from collections.abc import Iterator

from bench.common import DEMO_PASSWORD, BenchError, bench_secret_key


@contextmanager
def portal_app(database_url: str) -> Iterator:
    """create_app() on database_url, with the environment gunicorn would give it."""
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "SECRET_KEY", "TUNGNHA_ENV")}
    os.environ.update(DATABASE_URL=database_url, SECRET_KEY=bench_secret_key(),
                      TUNGNHA_ENV="development")
    try:
        from portal import create_app
        from portal.extensions import db

        app = create_app()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def logged_in_client(app, username: str):
    """A test client logged in through the login form, as a browser would."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise BenchError("no csrf_token on /login")
    answer = client.post("/login", data={"csrf_token": token.group(1), "username": username,
                                         "password": DEMO_PASSWORD})
    if answer.status_code != 302:
        raise BenchError(f"login as {username}: HTTP {answer.status_code}")
    return client


def csrf_token_of(client, path: str) -> str:
    """The CSRF token of the forms on a page."""
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise BenchError(f"no csrf_token on {path}")
    return token.group(1)
