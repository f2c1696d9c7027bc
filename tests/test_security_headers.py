"""Every response carries the security headers: pages, fragments, errors, static files."""

from __future__ import annotations

import re

import pytest

from portal.security import HEADERS

from helpers import HX


def _get_paths(app) -> list[str]:
    """Every GET route of the app, with 1 for each argument (an object that may not exist)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: "revisits" if m.group(1) == "kind" else "1",
                      rule.rule)
        if rule.endpoint == "static":
            path = "/static/css/portal.css"
        paths.append(path)
    return sorted(set(paths))


def _assert_headers(response, where: str) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, f"{name} missing on {where}"
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy


def test_every_get_route_answers_with_the_headers_anonymous(app, client):
    paths = _get_paths(app)
    assert len(paths) > 10
    for path in paths:
        with client.get(path) as response:  # a static file stays open until closed
            _assert_headers(response, f"GET {path} (anonymous)")


@pytest.mark.parametrize("username", ["screener", "district_officer", "admin"])
def test_every_get_route_answers_with_the_headers_logged_in(app, client, world, username):
    client.login(username)
    for path in _get_paths(app):
        with client.get(path) as response:
            _assert_headers(response, f"GET {path} as {username}")
            if response.mimetype == "text/html":
                assert response.headers["Cache-Control"] == "no-store"
        with client.get(path, headers=HX) as response:
            _assert_headers(response, f"HTMX GET {path} as {username}")


def test_errors_and_refused_writes_carry_the_headers(client, users):
    _assert_headers(client.get("/no/such/page"), "404")
    _assert_headers(client.post("/logout"), "a POST without its CSRF token")
    client.login("screener")
    _assert_headers(client.get("/residents/abc"), "a malformed id")


def test_pages_have_no_inline_script(app, client, world):
    client.login("screener")
    for path in ("/", "/walk", "/residents/search?q=nguyen", f"/residents/{world['duc']}",
                 "/follow-up/refusals", "/login"):
        html = client.get(path).get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, f"inline script on {path}: {tag}"
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler on {path}"
        assert " style=" not in html, f"inline style on {path}"


def test_production_marks_transport_security(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_every_answer_but_a_static_file_varies_on_hx_request(app, client, users):
    """A cache must not serve a fragment for a page: redirects and errors say so too."""
    assert "HX-Request" in client.get("/").headers.get("Vary", "")  # the redirect to log in
    client.login("screener")
    for path in _get_paths(app):
        response = client.get(path, headers=HX)
        vary = response.headers.get("Vary", "")
        response.close()
        if path.startswith("/static/"):
            assert "HX-Request" not in vary, path
        else:
            assert "HX-Request" in vary, (path, response.status_code)
