"""No redirect leaves the portal: every target taken from the request (the Referer, a `next`
field) is a path of this site, or the browser goes home."""

from __future__ import annotations

import re

import pytest

from portal.security import safe_next

# What browsers read as another site, or as no path at all.
OFF_SITE = [
    "//evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "/\t/evil.example/x",
    "/\n/evil.example/x",
    "/\x00/evil.example/x",
    "/\u3000/evil.example/x",
    "https://evil.example/x",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example/x",
]
# A Referer of the portal whose path browsers would read as another site, or another site.
OFF_SITE_REFERRERS = [
    "http://localhost//evil.example/x",
    "http://localhost/\\evil.example/x",
    "http://localhost/\t/evil.example/x",
    "https://evil.example/x",
    "http://localhost.evil.example/x",
    "http://localhost@evil.example/x",
    "not a url",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_a_target_off_the_portal_is_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/walk?page=2", "/residents/3#record",
                                    "/search?q=Nguy%E1%BB%85n", "/search?q=Nguyễn"])
def test_a_path_of_the_portal_is_kept(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("referrer", OFF_SITE_REFERRERS)
def test_switching_language_never_redirects_off_site(client, referrer):
    response = client.post_form("/language", {"locale": "en"}, headers={"Referer": referrer})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_switching_language_goes_back_to_the_page_it_was_asked_on(client):
    response = client.post_form("/language", {"locale": "en"},
                                headers={"Referer": "http://localhost/walk?page=2"})
    assert response.headers["Location"] == "/walk?page=2"


@pytest.mark.parametrize("target", OFF_SITE)
def test_logging_in_never_redirects_off_site(client, users, target):
    page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert re.search(r'<input id="next" name="next" type="hidden" value="">', page)
    response = client.post_form("/login", {"username": "screener", "password": "tungnha-demo",
                                           "next": target})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_choosing_a_campaign_never_redirects_off_site(client, world, target):
    client.login("screener")
    response = client.post_form("/campaign", {"campaign": world["campaign"], "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_choosing_a_campaign_goes_back_to_the_page_it_was_chosen_on(client, world):
    client.login("screener")
    response = client.post_form("/campaign", {"campaign": world["campaign"], "next": "/walk"})
    assert response.headers["Location"] == "/walk"
