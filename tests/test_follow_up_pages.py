"""A follow-up list of hundreds comes 200 at a time (a phone on a weak network asks for more)
and whole to print."""

from __future__ import annotations

import re
from datetime import date

from portal.extensions import db
from portal.residents.models import Resident, Sex
from portal.visits.models import Outcome, RefusalReason, Visit

from helpers import HX, unit


def test_a_long_list_comes_in_pages_and_whole_to_print(app, client, world):
    with app.app_context():
        hamlet = unit("31117-01")
        for n in range(450):
            person = Resident(hamlet_id=hamlet.id, full_name=f"Người Thứ {n:03d}",
                              name_folded=f"nguoi thu {n:03d}", birth_date=date(1980, 1, 1),
                              birth_year=1980, sex=Sex.MALE)
            db.session.add(person)
            db.session.flush()
            db.session.add(Visit(client_uuid=f"00000000-0000-4000-8000-{n:012d}",
                                 campaign_id=world["campaign"], resident_id=person.id,
                                 outcome=Outcome.REFUSED, refusal_reason=RefusalReason.FAMILY))
        db.session.commit()
    client.login("commune_lead")

    def people(html: str) -> int:
        return len(re.findall(r'<a href="/residents/\d+">', html))

    first = client.get("/follow-up/refusals").get_data(as_text=True)
    assert "450 người" in first and people(first) == 200
    assert "Xem thêm 200 người" in first and "Toàn bộ danh sách để in" in first
    second = client.get("/follow-up/refusals?page=2", headers=HX).get_data(as_text=True)
    assert people(second) == 200 and "Xem thêm 50 người" in second
    assert "<html" not in second  # the rows alone, appended in place
    third = client.get("/follow-up/refusals?page=3", headers=HX).get_data(as_text=True)
    assert people(third) == 50 and "Xem thêm" not in third
    whole = client.get("/follow-up/refusals?all=1").get_data(as_text=True)
    assert people(whole) == 450 and "Xem thêm" not in whole
