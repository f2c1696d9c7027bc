"""Supervision: per screener and per hamlet, the last days' visits, the share of each outcome,
visits undone, people added, and the hamlets nobody has visited for some days."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db
from portal.timeutil import utcnow
from portal.visits.models import Outcome, RefusalReason, Visit


def _row(page: str, table: str, name: str) -> list[str]:
    body = re.search(rf'<table class="figures wide" id="{table}">(.*?)</table>', page,
                     re.DOTALL).group(1)
    row = re.search(rf"<tr[^>]*><td>{re.escape(name)}.*?</tr>", body, re.DOTALL).group(0)
    return [" ".join(re.sub(r"<[^>]+>", "", c).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]


def test_each_screener_and_hamlet_with_their_visits_and_the_hamlets_left(app, client, world):
    now = utcnow()
    with app.app_context():
        screener = db.session.scalar(select(User).where(User.username == "screener"))
        lead = db.session.scalar(select(User).where(User.username == "commune_lead"))
        visits = [  # (who, resident, outcome, hours ago, undone)
            (screener, "duc", Outcome.ABSENT, 2, False), (screener, "nam", Outcome.ABSENT, 3, False),
            (screener, "be", Outcome.REFUSED, 4, False), (screener, "lan", Outcome.ABSENT, 5, True),
            (lead, "hoa", Outcome.WILLING, 30, False),
            (screener, "nam", Outcome.ABSENT, 24 * 10, False),  # ten days ago: not in the week
        ]
        for n, (who, key, outcome, hours, undone) in enumerate(visits):
            at = now - timedelta(hours=hours)
            db.session.add(Visit(client_uuid=f"00000000-0000-4000-8000-{n:012d}",
                                 campaign_id=world["campaign"], resident_id=world[key],
                                 user_id=who.id, outcome=outcome, visited_at=at,
                                 refusal_reason=RefusalReason.FAMILY
                                 if outcome is Outcome.REFUSED else None,
                                 undone_at=at if undone else None))
        db.session.commit()
        screener_name, lead_name = screener.full_name, lead.full_name
    client.login("commune_lead")
    page = client.get("/supervision").get_data(as_text=True)
    # The screener: 3 visits that count in 7 days (one undone apart), 2 absent of 3, 1 refused.
    assert _row(page, "by-screener", screener_name)[1:] == [
        "3", "0,4", "66,7 %", "33,3 %", "1", "0"]
    assert _row(page, "by-screener", lead_name)[1:3] == ["1", "0,1"]
    assert _row(page, "by-hamlet", "Khu vực 1")[1:6] == ["3", "66,7 %", "33,3 %", "1", "0"]
    assert _row(page, "by-hamlet", "Khu vực 2")[1:3] == ["1", "0,0 %"]
    # Every hamlet of the commune was visited in the last 3 days: none is listed as left.
    assert 'id="not-visited"' not in page
    page = client.get("/supervision?quiet=1").get_data(as_text=True)
    left = re.search(r'id="not-visited">(.*?)</div>', page, re.DOTALL).group(1)
    assert "Khu vực 2" in left and "Khu vực 1" not in left  # Hoa's visit was 30 hours ago


def test_across_communes_each_hamlet_says_its_commune(app, client, world):
    client.login("district_officer")
    page = client.get("/supervision").get_data(as_text=True)
    assert "<td>Khu vực 1 · Phường Cái Khế" in page
    assert "<td>Khu vực 1<" not in page
