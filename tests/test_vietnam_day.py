"""The district's and the clerk's pages say the day in Vietnam: a list submitted at 01:30 on
02/12 in Vietnam (18:30 on 01/12 in UTC) is of 02/12."""

from __future__ import annotations

from datetime import datetime

from portal.extensions import db
from portal.lists.models import ComplianceList, ListState

from helpers import unit


def test_a_list_sent_after_midnight_in_vietnam_is_of_that_day(app, client, world):
    with app.app_context():
        commune = unit("31117")
        for state, version, at in ((ListState.SUBMITTED, 2, datetime(2026, 12, 1, 18, 30)),
                                   (ListState.APPROVED, 1, datetime(2026, 12, 1, 17, 5))):
            db.session.add(ComplianceList(campaign_id=world["campaign"], commune_id=commune.id,
                                          version=version, state=state, submitted_at=at,
                                          reviewed_at=at if state is ListState.APPROVED else None))
        db.session.commit()
    client.login("district_officer")
    page = client.get("/").get_data(as_text=True)
    assert "02/12/2026" in page and "01/12/2026" not in page
    client.post_form("/logout")
    client.login("clerk")
    page = client.get("/").get_data(as_text=True)
    assert "02/12/2026" in page and "01/12/2026" not in page
    assert 'href="/lists"' in page  # the filter page, from the clerk's home
