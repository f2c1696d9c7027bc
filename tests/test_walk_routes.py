"""The screener's screens over HTTP: full pages, HTMX fragments, saving once, 422 in place."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.residents.models import Resident, ResidentStatus
from portal.units.models import AdministrativeUnit
from portal.visits.models import Outcome, Visit

from helpers import HX, csrf_in, uuid_for


def _hamlet_id(app, code):
    with app.app_context():
        return db.session.scalar(select(AdministrativeUnit.id).where(AdministrativeUnit.code == code))


def _visits(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Visit))


def test_the_walk_lists_the_hamlets_of_the_screener(client, world):
    client.login("screener")
    page = client.get("/walk").get_data(as_text=True)
    assert "Khu vực 1" in page and "Khu vực 2" in page
    assert "Phường Bình Thủy" not in page


def test_a_hamlet_puts_those_still_to_visit_first(app, client, world):
    client.login("screener")
    page = client.get(f"/walk/{_hamlet_id(app, '31117-01')}").get_data(as_text=True)
    assert page.index("Nguyễn Văn Đức") < page.index("Nguyễn Thị Lan")  # Lan has her booster
    assert "Cần rà soát" in page and "Đã tiêm đủ" in page
    assert "Còn 2/4 người cần rà soát." in page


def test_a_hamlet_page_answers_htmx_with_only_its_fragment(app, client, world):
    client.login("screener")
    url = f"/walk/{_hamlet_id(app, '31117-01')}"
    full = client.get(url)
    fragment = client.get(url, headers=HX)
    assert "<html" in full.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="walk"' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_a_hamlet_of_another_commune_is_not_found(app, client, world):
    client.login("screener")
    assert client.get(f"/walk/{_hamlet_id(app, '31183-01')}").status_code == 404
    assert client.get("/walk/999999").status_code == 404
    assert client.get("/walk/abc").status_code == 404


def test_the_card_shows_health_details_and_logs_the_look(app, client, world):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    assert "Nguyễn Văn Đức" in page
    assert "••••••••1234" in page and "092060001234" not in page
    assert "Bệnh nền" in page
    assert "Mũi 2" in page
    with app.app_context():
        looks = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "resident.view")).all()
    assert [(e.object_id, e.username) for e in looks] == [(str(world["duc"]), "screener")]


def test_one_tap_saves_and_answers_with_the_confirmation_in_place(app, client, world):
    client.login("screener")
    page = client.get(f"/residents/{world['nam']}").get_data(as_text=True)
    response = client.post_form(
        f"/residents/{world['nam']}/visits",
        {"outcome": "absent", "client_uuid": uuid_for(page, "absent")}, headers=HX,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="record"')
    assert "Đã lưu" in html and "Hoàn tác" in html
    assert _visits(app) == 1


def test_a_double_submit_makes_one_visit(app, client, world):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    form = {"outcome": "willing", "client_uuid": uuid_for(page, "willing")}
    first = client.post_form(f"/residents/{world['duc']}/visits", form, headers=HX)
    second = client.post_form(f"/residents/{world['duc']}/visits", form, headers=HX)
    assert first.status_code == second.status_code == 200
    assert _visits(app) == 1


def test_a_double_tap_saved_by_the_other_request_meanwhile_answers_saved(app, client, world):
    """The two requests of a double tap race: the second finds no knock with its client id,
    then the first commits, leaving nothing to record. The second must still answer "saved"
    (the phone may never have heard the first's answer), not "nothing left to record"."""
    import threading

    from sqlalchemy import event

    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    form = {"outcome": "up_to_date", "client_uuid": uuid_for(page, "up_to_date")}
    other = app.test_client()
    other.login("screener")
    raced = []

    def the_other_request_commits(conn, cursor, statement, *args):
        # Right after this request looked the client id up and found nothing.
        if raced or "client_uuid" not in statement or "FROM visits" not in statement:
            return
        raced.append(True)
        answers = []
        thread = threading.Thread(target=lambda: answers.append(other.post_form(
            f"/residents/{world['duc']}/visits", form, headers=HX)))
        thread.start()
        thread.join()
        assert answers[0].status_code == 200
        raced.append(answers[0])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", the_other_request_commits)
    try:
        answer = client.post_form(f"/residents/{world['duc']}/visits", form, headers=HX)
    finally:
        event.remove(engine, "after_cursor_execute", the_other_request_commits)
    assert len(raced) == 2, "the other request ran in between"
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "Không còn gì để ghi" not in html and "Đã lưu" in html
    assert _visits(app) == 1


def test_a_refusal_without_its_reason_comes_back_422_with_the_message_beside_the_field(
    app, client, world
):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    response = client.post_form(
        f"/residents/{world['duc']}/visits",
        {"outcome": "refused", "client_uuid": uuid_for(page, "refused"), "note": "Để suy nghĩ"},
        headers=HX,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Vui lòng chọn lý do từ chối." in html
    assert "Để suy nghĩ" in html  # what was typed is still there
    assert _visits(app) == 0


def test_a_deferral_needs_a_future_end_date(app, client, world):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    response = client.post_form(
        f"/residents/{world['duc']}/visits",
        {"outcome": "contraindicated", "client_uuid": uuid_for(page, "contraindicated"),
         "screening_category": "deferral", "deferred_until": "2020-01-01",
         "reason": "Mắc COVID-19 tháng trước"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "Ngày kết thúc hoãn tiêm phải ở tương lai." in response.get_data(as_text=True)
    assert _visits(app) == 0


def test_a_deferral_until_9999_is_refused_beside_its_field_and_nothing_is_saved(
        app, client, world):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    response = client.post_form(
        f"/residents/{world['duc']}/visits",
        {"outcome": "contraindicated", "client_uuid": uuid_for(page, "contraindicated"),
         "screening_category": "deferral", "deferred_until": "9999-12-31",
         "reason": "Mắc COVID-19 tháng trước"},
        headers=HX,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    field = html.split('id="contraindicated-deferred_until"')[1].split("</div>")[0]
    assert "Hoãn tiêm tối đa 12 tháng" in field
    assert _visits(app) == 0


def test_without_htmx_saving_redirects_back_to_the_card(app, client, world):
    client.login("screener")
    page = client.get(f"/residents/{world['hoa']}").get_data(as_text=True)
    response = client.post_form(
        f"/residents/{world['hoa']}/visits",
        {"outcome": "homebound", "client_uuid": uuid_for(page, "homebound")},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/residents/{world['hoa']}")


def test_undo_takes_back_a_visit_just_saved(app, client, world):
    client.login("screener")
    page = client.get(f"/residents/{world['nam']}").get_data(as_text=True)
    client.post_form(f"/residents/{world['nam']}/visits",
                     {"outcome": "moved_away", "client_uuid": uuid_for(page, "moved_away")},
                     headers=HX)
    with app.app_context():
        visit_id = db.session.scalar(select(Visit.id))
        assert db.session.get(Resident, world["nam"]).status is ResidentStatus.MOVED_AWAY
    response = client.post_form(f"/visits/{visit_id}/undo", headers=HX)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Resident, world["nam"]).status is ResidentStatus.PRESENT


def test_a_resident_of_another_commune_cannot_be_seen_or_visited(app, client, world):
    client.login("screener")
    assert client.get(f"/residents/{world['other']}").status_code == 404
    response = client.post_form(
        f"/residents/{world['other']}/visits",
        {"outcome": "absent", "client_uuid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
    )
    assert response.status_code == 404
    assert _visits(app) == 0


def test_a_clerk_may_not_walk_or_record(client, world):
    client.login("clerk")
    assert client.get("/walk").status_code == 403
    assert client.get(f"/residents/{world['duc']}").status_code == 403


@pytest.mark.parametrize("kind", ["revisits", "deferrals", "refusals", "homebound"])
def test_every_follow_up_list_answers_a_page_and_a_fragment(client, world, kind):
    client.login("commune_lead")
    assert client.get(f"/follow-up/{kind}").status_code == 200
    fragment = client.get(f"/follow-up/{kind}", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="rows"')


def test_a_refusal_lands_on_the_refusals_list_filterable_by_hamlet(app, client, world):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    client.post_form(f"/residents/{world['duc']}/visits",
                     {"outcome": "refused", "client_uuid": uuid_for(page, "refused"),
                      "refusal_reason": "side_effects"}, headers=HX)
    listed = client.get("/follow-up/refusals").get_data(as_text=True)
    assert "Nguyễn Văn Đức" in listed and "Sợ tác dụng phụ" in listed
    elsewhere = client.get(f"/follow-up/refusals?hamlet={_hamlet_id(app, '31117-02')}")
    assert "Nguyễn Văn Đức" not in elsewhere.get_data(as_text=True)
    assert "Nguyễn Văn Đức" not in client.get("/follow-up/revisits").get_data(as_text=True)


def _bulk_reads(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.id)))


def test_a_refusals_list_view_is_logged_as_a_bulk_read(app, client, world):
    client.login("screener")
    for key in ("duc", "nam"):
        page = client.get(f"/residents/{world[key]}").get_data(as_text=True)
        client.post_form(f"/residents/{world[key]}/visits",
                         {"outcome": "refused", "client_uuid": uuid_for(page, "refused"),
                          "refusal_reason": "side_effects", "note": "Gọi lại sau"}, headers=HX)
    client.post_form("/logout")
    client.login("commune_lead")
    listed = client.get("/follow-up/refusals").get_data(as_text=True)
    assert "0912345678" in listed and "Gọi lại sau" in listed  # phones, reasons, notes
    one_hamlet = _hamlet_id(app, "31117-02")
    client.get(f"/follow-up/refusals?hamlet={one_hamlet}", headers=HX)
    # One event a page, not one a person: which list, which unit, how many people.
    whole, filtered = _bulk_reads(app, "follow_up.view")
    with app.app_context():
        lead_unit = db.session.get(AdministrativeUnit, _hamlet_id(app, "31117-01")).parent_id
    assert (whole.username, whole.object_type, whole.object_id) == (
        "commune_lead", "follow_up", "refusals")
    assert whole.unit_id == lead_unit
    assert whole.after == {"campaign": world["campaign"], "people": 2}
    assert filtered.unit_id == one_hamlet
    assert filtered.after == {"campaign": world["campaign"], "hamlet": one_hamlet, "people": 0}
    # The deferrals list says the window it was asked for.
    client.get("/follow-up/deferrals?days=30")
    assert _bulk_reads(app, "follow_up.view")[-1].after["days"] == 30
    # The lead's screen of the trail, the district's, names it.
    client.post_form("/logout")
    client.login("district_officer")
    trail = client.get("/audit?action=follow_up.view").get_data(as_text=True)
    assert trail.split('id="events"', 1)[1].count("Xem danh sách theo dõi") == 3


def test_an_unknown_follow_up_list_is_not_found(client, world):
    client.login("screener")
    assert client.get("/follow-up/everyone").status_code == 404


def test_an_entry_survives_a_session_that_ran_out(app, client, world):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    token = csrf_in(page)
    key = uuid_for(page, "refused")
    client.delete_cookie("session")  # the session ran out while the form was open
    response = client.post(
        f"/residents/{world['duc']}/visits",
        data={"csrf_token": token, "outcome": "refused", "client_uuid": key,
              "refusal_reason": "religious", "note": "Theo đạo"},
        headers=HX,
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=/visits/pending")
    assert _visits(app) == 0
    login = client.login("screener")
    assert login.headers["Location"] == "/visits/pending"
    pending = client.get("/visits/pending").get_data(as_text=True)
    assert "Nguyễn Văn Đức" in pending and "Theo đạo" in pending
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">',
                             pending.split('action="/residents/')[1].split("</form>")[0]))
    client.post(f"/residents/{world['duc']}/visits", data=fields)
    with app.app_context():
        visit = db.session.scalars(select(Visit)).one()
    assert (visit.client_uuid, visit.outcome, visit.note) == (key, Outcome.REFUSED, "Theo đạo")
    # Sent again and saved, the entry is no longer kept.
    assert client.get("/visits/pending").headers["Location"] == "/"


def test_a_form_posted_without_a_session_to_a_view_that_does_not_resume_keeps_nothing(
        client, world):
    client.login("commune_lead")
    token = client.csrf_token()
    client.delete_cookie("session")
    response = client.post("/lists/submit", data={"csrf_token": token, "signer_name": "Lê Văn A"})
    assert response.status_code == 400  # the form has expired: said, and not kept
    assert client.login("commune_lead").headers["Location"] == "/"
