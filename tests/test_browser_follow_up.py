"""A long follow-up list on a phone: 200 rows, then the next ones appended with one tap."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from portal.extensions import db
from portal.residents.models import Resident, Sex
from portal.visits.models import Outcome, RefusalReason, Visit

from helpers import log_in, unit


def test_the_next_page_of_a_follow_up_list_comes_with_one_tap(app, phone, live_server, world):
    with app.app_context():
        hamlet = unit("31117-01")
        for n in range(250):
            person = Resident(hamlet_id=hamlet.id, full_name=f"Người Thứ {n:03d}",
                              name_folded=f"nguoi thu {n:03d}", birth_date=date(1980, 1, 1),
                              birth_year=1980, sex=Sex.MALE)
            db.session.add(person)
            db.session.flush()
            db.session.add(Visit(client_uuid=f"00000000-0000-4000-8000-{n:012d}",
                                 campaign_id=world["campaign"], resident_id=person.id,
                                 outcome=Outcome.REFUSED, refusal_reason=RefusalReason.FAMILY))
        db.session.commit()
    log_in(phone, live_server, "commune_lead", touch=True)
    phone.wait_for_url(f"{live_server}/")
    phone.goto(f"{live_server}/follow-up/refusals")
    rows = phone.locator("table.follow-up tbody tr td a[href^='/residents/']")
    expect(rows).to_have_count(200)
    phone.locator("#more-rows button").tap()
    expect(rows).to_have_count(250)
    expect(phone.locator("#more-rows")).to_have_count(0)
