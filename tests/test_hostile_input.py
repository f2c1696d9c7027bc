"""Hostile input: script in names and notes stays text, oversize bodies and bad ids are refused."""

from __future__ import annotations


import pytest

from portal.extensions import db

from helpers import HX, uuid_for

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_script_in_a_name_or_a_note_renders_as_text_everywhere(app, client, world):
    from portal.residents.models import Resident
    from portal.residents.search import index_resident
    from portal.text import fold

    with app.app_context():
        resident = db.session.get(Resident, world["nam"])
        resident.full_name = f"Trần {SCRIPT}"
        resident.name_folded = fold(resident.full_name)
        index_resident(resident, resident.hamlet.parent_id)
        hamlet_id = resident.hamlet_id
        db.session.commit()
    client.login("screener")
    page = client.get(f"/residents/{world['nam']}").get_data(as_text=True)
    client.post_form(f"/residents/{world['nam']}/visits", {
        "outcome": "refused", "client_uuid": uuid_for(page, "refused"),
        "refusal_reason": "other", "note": SCRIPT}, headers=HX)
    pages = [
        client.get(f"/residents/{world['nam']}").get_data(as_text=True),
        client.get("/residents/search?q=tran", headers=HX).get_data(as_text=True),
        client.get(f"/walk/{hamlet_id}").get_data(as_text=True),
        client.get("/follow-up/refusals").get_data(as_text=True),
    ]
    client.post_form("/logout")
    client.login("district_officer")
    pages.append(client.get("/audit").get_data(as_text=True))
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html


def test_a_body_over_the_limit_is_refused_with_a_message(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    client.login("screener")
    answer = client.post_form(f"/residents/{world['nam']}/visits",
                              {"outcome": "absent", "note": "x" * 20_000})
    assert answer.status_code == 413
    assert "quá lớn" in answer.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/residents/abc", "/residents/-1", "/walk/1e3", "/walk/%00",
                                  "/residents/99999999999999999999", "/follow-up/../../etc"])
def test_malformed_ids_answer_404_never_500(client, world, path):
    client.login("screener")
    assert client.get(path).status_code == 404


def test_huge_numbers_in_query_strings_are_ignored(client, world):
    client.login("screener")
    huge = "99999999999999999999"
    assert client.get(f"/residents/{world['nam']}?saved={huge}").status_code == 200
    assert client.get(f"/follow-up/refusals?hamlet={huge}").status_code == 404
    assert client.get("/follow-up/refusals?hamlet=-5").status_code == 404
    hamlet = client.get("/walk").get_data(as_text=True).split('href="/walk/')[1].split('"')[0]
    assert client.get(f"/walk/{hamlet}?page={huge}").status_code == 200
    client.post_form("/logout")
    client.login("admin")
    assert client.get("/audit?before=99999999999999999999").status_code == 200
