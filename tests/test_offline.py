"""What the portal gives a phone for work with no signal: the copy of its user's own hamlets
(no other), saying what the walk says, read into the trail; the service worker, the manifest
and the icons; the shell and the welcome page, which hold nobody's data."""

from __future__ import annotations

import gzip
import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.campaigns.active import open_campaigns
from portal.extensions import db
from portal.residents.models import Resident
from portal.timeutil import today_local
from portal.visits.models import Outcome
from portal.visits.outcomes import NEEDS_VISIT
from portal.visits.walk import hamlet_walk

from helpers import unit


@pytest.fixture
def assigned(app, world):
    """The screener works in 31117-01 only (Đức, Lan, Nam, Bảo Anh): the hamlets it keeps."""
    with app.app_context():
        screener = db.session.scalar(select(User).where(User.username == "screener"))
        screener.hamlets = [unit("31117-01")]
        db.session.commit()
        return {"mine": unit("31117-01").id, "neighbours": unit("31117-02").id,
                "elsewhere": unit("31183-01").id}


def _copy(client, hamlet_id):
    answer = client.get(f"/offline/hamlets/{hamlet_id}", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200, answer.status_code
    assert answer.headers["Content-Encoding"] == "gzip"
    return json.loads(gzip.decompress(answer.data))


def test_a_phone_keeps_only_the_hamlets_its_user_is_assigned_to(client, assigned, world):
    client.login("screener")
    index = client.get("/offline/hamlets").get_json()
    assert [h["id"] for h in index["hamlets"]] == [assigned["mine"]]
    copy = _copy(client, assigned["mine"])
    names = {p[2] for p in copy["people"]}
    assert names == {"Nguyễn Văn Đức", "Nguyễn Thị Lan", "Trần Văn Nam", "Trần Ngọc Bảo Anh"}
    # A hamlet of the same commune the screener is not assigned to, and one elsewhere: neither.
    for other in (assigned["neighbours"], assigned["elsewhere"]):
        answer = client.get(f"/offline/hamlets/{other}")
        assert answer.status_code == 404
        assert "Lê Thị Hoa" not in answer.get_data(as_text=True)


def test_a_user_bound_to_no_hamlet_keeps_no_copy(client, assigned):
    client.login("commune_lead")  # sees the whole commune on screen, keeps none of it offline
    assert client.get("/offline/hamlets").get_json()["hamlets"] == []
    assert client.get(f"/offline/hamlets/{assigned['mine']}").status_code == 404
    client.post_form("/logout")
    client.login("district_officer")  # reads cards, walks no hamlet
    assert client.get("/offline/hamlets").get_json()["hamlets"] == []
    assert client.get(f"/offline/hamlets/{assigned['mine']}").status_code == 404


def test_the_copy_says_what_the_walk_and_the_card_say(app, client, assigned, world):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    uuid = re.search(r'name="client_uuid" value="([^"]+)"[^>]*>\s*<input type="hidden" '
                     r'name="outcome" value="refused"', page).group(1)
    campaigns = re.search(r'name="campaign_ids" value="([^"]*)"', page).group(1)
    saved = client.post(f"/residents/{world['duc']}/visits", data={
        "csrf_token": token, "client_uuid": uuid, "outcome": Outcome.REFUSED.value,
        "campaign_ids": campaigns, "refusal_reason": "side_effects"})
    assert saved.status_code == 302
    copy = _copy(client, assigned["mine"])
    people = {p[0]: p for p in copy["people"]}
    duc, lan, nam, child = (people[world[k]] for k in ("duc", "lan", "nam", "be"))
    assert duc[8] == ["refused"] and duc[9] == ["booster_1"] and duc[10] == [1]
    assert lan[8] == ["up_to_date"] and lan[10] == [0]
    assert nam[8] == ["to_visit"] and nam[9] == ["booster_1"]
    assert child[8] == [""]  # not targeted by a campaign for 18+
    assert duc[6] == "c" and duc[7] == "0912345678" and duc[4] == "02/03/1960"
    assert [d[0] for d in duc[12]] == ["dose_1", "dose_2"]
    # The hamlet's "N of M still need a visit", as the walk counts it, from the copy.
    needing = [p for p in copy["people"] if any(s in copy["needs_visit"] for s in p[8])]
    with app.app_context():
        place = db.session.get(type(unit("31117-01")), assigned["mine"])
        screener = db.session.scalar(select(User).where(User.username == "screener"))
        walk = hamlet_walk(place, open_campaigns(screener), today_local())
        assert (len(needing), len(copy["people"])) == (walk.to_visit, walk.residents) == (2, 4)
    assert set(copy["needs_visit"]) == {s.value for s in NEEDS_VISIT}
    assert copy["lists"]["refusals"] == ["refused"]


def test_reading_a_copy_is_one_event_in_the_trail(app, client, assigned):
    client.login("screener")
    _copy(client, assigned["mine"])
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "offline.copy"))
        assert event.object_id == str(assigned["mine"]) and event.after["people"] == 4


def test_the_copy_is_never_kept_by_a_cache(client, assigned):
    client.login("screener")
    for path in ("/offline/hamlets", f"/offline/hamlets/{assigned['mine']}", "/offline/session"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_the_session_answer_names_the_user_and_a_token(app, client, assigned):
    anonymous = client.get("/offline/session", headers={"Accept": "application/json"})
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]
    client.login("screener")
    answer = client.get("/offline/session").get_json()
    with app.app_context():
        screener = db.session.scalar(select(User).where(User.username == "screener"))
        assert answer["user"] == screener.id and screener.role is Role.SCREENER
    assert len(answer["csrf"]) > 20


def test_the_service_worker_is_served_from_the_root_with_every_asset_it_keeps(client):
    answer = client.get("/sw.js")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "no-cache"
    settings = json.loads(re.match(r"const SETTINGS = (\{.*\});\n", answer.get_data(as_text=True)).group(1))
    assert re.fullmatch(r"[0-9a-f]{16}", settings["version"])
    for asset in settings["assets"] + [settings["welcome"]]:
        assert client.get(asset).status_code == 200, asset


def test_the_manifest_makes_the_portal_installable_in_vietnamese(client):
    answer = client.get("/manifest.webmanifest")
    assert answer.mimetype == "application/manifest+json"
    manifest = answer.get_json(force=True)
    assert manifest["short_name"] == "Từng Nhà" and manifest["lang"] == "vi"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = set()
    for icon in manifest["icons"]:
        picture = client.get(icon["src"])
        assert picture.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            width, height = Image.open(io.BytesIO(picture.data)).size
            assert icon["sizes"] == f"{width}x{height}"
            sizes.add(width)
    assert {192, 512} <= sizes


def test_the_shell_and_the_welcome_page_hold_nobodys_data(app, client, assigned, world):
    client.login("screener")
    shell = client.get("/offline/shell").get_data(as_text=True)
    with app.app_context():
        names = list(db.session.scalars(select(Resident.full_name)))
    assert names and not any(name in shell for name in names)
    # The service worker keeps the welcome page for everyone, fetched while someone is logged in.
    welcome = client.get("/offline/welcome").get_data(as_text=True)
    assert "Không có mạng" in welcome
    assert "csrf_token" not in welcome and "Cán bộ" not in welcome
