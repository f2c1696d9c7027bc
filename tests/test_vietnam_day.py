"""The district's and the clerk's pages say the day in Vietnam (a list submitted at 01:30 on
02/12 in Vietnam, 18:30 on 01/12 in UTC, is of 02/12), how long each list has waited, and the
commune lead is told of a list returned, with the district's comment."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.extensions import db
from portal.lists.models import ComplianceList, ListState
from portal.timeutil import utcnow

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


def test_the_district_sees_how_long_each_list_has_waited(app, client, world):
    with app.app_context():
        db.session.add(ComplianceList(campaign_id=world["campaign"], commune_id=unit("31117").id,
                                      state=ListState.SUBMITTED,
                                      submitted_at=utcnow() - timedelta(days=4)))
        db.session.commit()
    client.login("district_officer")
    assert "đã chờ 4 ngày" in client.get("/").get_data(as_text=True)


def test_a_returned_list_is_told_to_the_commune_lead_with_the_districts_comment(app, client,
                                                                              world):
    with app.app_context():
        commune = unit("31117")
        db.session.add(ComplianceList(campaign_id=world["campaign"], commune_id=commune.id,
                                      version=1, state=ListState.RETURNED,
                                      submitted_at=datetime(2026, 12, 1, 3, 0),
                                      reviewed_at=datetime(2026, 12, 1, 18, 0),
                                      review_comment="Thiếu lý do hoãn tiêm của 2 người."))
        db.session.commit()
    client.login("commune_lead")
    page = " ".join(client.get("/").get_data(as_text=True).split())
    assert "Cấp huyện đã trả lại danh sách" in page and "ngày 02/12/2026" in page
    assert "Thiếu lý do hoãn tiêm của 2 người." in page
    # A new version sent since: no longer said.
    with app.app_context():
        db.session.add(ComplianceList(campaign_id=world["campaign"], commune_id=unit("31117").id,
                                      version=2, state=ListState.SUBMITTED,
                                      submitted_at=datetime(2026, 12, 2, 3, 0)))
        db.session.commit()
    assert "Cấp huyện đã trả lại" not in client.get("/").get_data(as_text=True)
