"""The audit trail: a visit's before and after, browsed within scope, filtered, never edited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from portal.audit.models import AuditEvent, AuditIsAppendOnly
from portal.extensions import db

from helpers import HX, uuid_for


def _record_refusal(client, resident_id: int) -> None:
    page = client.get(f"/residents/{resident_id}").get_data(as_text=True)
    answer = client.post_form(f"/residents/{resident_id}/visits", {
        "outcome": "refused", "client_uuid": uuid_for(page, "refused"),
        "refusal_reason": "side_effects", "note": "Sợ sốt"}, headers=HX)
    assert answer.status_code == 200


@pytest.fixture
def trail(app, client, world):
    """The screener records a refusal for Đức (Ninh Kiều); an event in Bình Thủy is added too."""
    client.login("screener")
    _record_refusal(client, world["duc"])
    client.post_form("/logout")
    with app.app_context():
        from portal.residents.models import Resident

        other = db.session.get(Resident, world["other"])
        db.session.add(AuditEvent(action="resident.view", object_type="resident",
                                  object_id=str(other.id), unit_id=other.hamlet_id,
                                  username="someone.binhthuy"))
        db.session.commit()
    return world


def _events(html: str) -> str:
    """The list of events, without the filter form (whose options name every action)."""
    return html.split('id="events"', 1)[1]


def test_the_district_officer_sees_a_visits_before_and_after(client, trail):
    client.login("district_officer")
    html = _events(client.get("/audit").get_data(as_text=True))
    assert "Ghi kết quả rà soát" in html  # visit.create, in Vietnamese
    assert "screener" in html
    # Before and after, in Vietnamese: the standing went from "to visit" to "refused".
    block = html.split("Ghi kết quả rà soát", 1)[1].split("</li>", 1)[0]
    assert "<td>Tình trạng</td><td>Cần rà soát</td><td>Từ chối tiêm</td>" in block
    assert "<td>Lý do từ chối</td><td>—</td><td>Sợ tác dụng phụ</td>" in block
    assert "Sợ sốt" not in block  # the note's words stay on the visit
    # Another district's events are not shown.
    assert "someone.binhthuy" not in html


def test_the_province_admin_sees_every_district(client, trail):
    client.login("admin")
    html = _events(client.get("/audit").get_data(as_text=True))
    assert "someone.binhthuy" in html and "Ghi kết quả rà soát" in html


MEDICAL_REASON = "Đang sốt, mắc bệnh cấp tính"


def _record_deferral(client, resident_id: int) -> None:
    page = client.get(f"/residents/{resident_id}").get_data(as_text=True)
    answer = client.post_form(f"/residents/{resident_id}/visits", {
        "outcome": "contraindicated", "client_uuid": uuid_for(page, "contraindicated"),
        "screening_category": "deferral",
        "deferred_until": (date.today() + timedelta(days=20)).isoformat(),
        "reason": MEDICAL_REASON, "note": "Hẹn gọi lại"}, headers=HX)
    assert answer.status_code == 200


def test_an_admin_reads_visit_events_without_health_fields(client, trail):
    client.login("screener")
    _record_deferral(client, trail["hoa"])
    client.post_form("/logout")
    client.login("admin")
    assert client.get(f"/residents/{trail['hoa']}").status_code == 403  # the card is refused
    html = _events(client.get("/audit?action=visit.create").get_data(as_text=True))
    # Both visits are listed, with who recorded them and which visit...
    assert html.count('class="card"') == 2 and "screener" in html and "visit:" in html
    # ...but nothing of what the card refuses: no reason, medical reason, note, outcome or standing.
    for health in ("Sợ sốt", "Sợ tác dụng phụ", MEDICAL_REASON, "Hẹn gọi lại", "Từ chối tiêm",
                   "Hoãn tiêm", "Lý do từ chối", "Tình trạng", "Hoãn tiêm đến"):
        assert health not in html, health
    assert html.count("Không hiển thị thông tin sức khỏe") == 2
    # A district officer, who may open the card, reads the same events whole.
    client.post_form("/logout")
    client.login("district_officer")
    whole = _events(client.get("/audit?action=visit.create").get_data(as_text=True))
    assert "Sợ tác dụng phụ" in whole and "Hoãn tiêm" in whole
    assert "Không hiển thị thông tin sức khỏe" not in whole
    # Free text is on the visit, never in the trail (which no erasure could reach).
    assert "Sợ sốt" not in whole and MEDICAL_REASON not in whole and "Hẹn gọi lại" not in whole


def test_filters_by_action_user_and_object(app, client, trail):
    client.login("district_officer")
    only_visits = _events(client.get("/audit?action=visit.create", headers=HX).get_data(as_text=True))
    assert only_visits.count('class="card"') == 1
    with app.app_context():
        visit_id = db.session.scalar(select(AuditEvent.object_id).where(
            AuditEvent.action == "visit.create"))
    by_object = _events(client.get(f"/audit?object=visit:{visit_id}").get_data(as_text=True))
    assert "Ghi kết quả rà soát" in by_object and "Xem thông tin sức khỏe" not in by_object
    nobody = client.get("/audit?username=nobody", headers=HX).get_data(as_text=True)
    assert "Không có sự kiện nào phù hợp." in nobody
    future = client.get("/audit?since=2999-01-01", headers=HX).get_data(as_text=True)
    assert "Không có sự kiện nào phù hợp." in future
    # Nonsense in the filters is ignored, never an error.
    assert client.get("/audit?since=not-a-date&action=drop&before=x").status_code == 200


def test_reading_the_trail_is_itself_recorded(app, client, trail):
    client.login("district_officer")
    client.get("/audit?action=visit.create")
    with app.app_context():
        look = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.view")).one()
        assert look.username == "district_officer" and look.after == {"action": "visit.create"}


@pytest.mark.parametrize("username", ["screener", "commune_lead", "clerk"])
def test_other_roles_cannot_read_the_trail(client, trail, username):
    client.login(username)
    assert client.get("/audit").status_code == 403


def test_audit_events_cannot_be_changed_or_deleted(app, trail):
    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).first()
        event.after = {"forged": True}
        with pytest.raises(AuditIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(AuditIsAppendOnly):
            db.session.delete(db.session.scalars(select(AuditEvent)).first())
            db.session.commit()
        db.session.rollback()
        assert all(e.after != {"forged": True} for e in db.session.scalars(select(AuditEvent)))
    # And no route writes to it but the app's own record() calls: none takes POST, PUT or DELETE.
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.")]
    assert rules and all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET after = NULL",
    "UPDATE audit_events SET username = 'someone.else' WHERE action = 'visit.create'",
    "DELETE FROM audit_events",
])
def test_the_audit_table_refuses_update_and_delete_in_the_database(app, trail, statement):
    # Straight SQL, past the application's own refusal: the database's triggers refuse it,
    # on PostgreSQL and on SQLite alike (migration 0007).
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuditEvent))
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == count
        visit = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "visit.create")).one()
        assert visit.username == "screener" and visit.after is not None


def test_the_audit_table_cannot_be_emptied_at_once(app, trail):
    # Each database's way of emptying a table without a row trigger: PostgreSQL's TRUNCATE (its
    # own statement trigger), SQLite's truncate optimisation of a DELETE without WHERE (which a
    # DELETE trigger turns off).
    with app.app_context():
        emptying = ("TRUNCATE audit_events" if db.engine.dialect.name == "postgresql"
                    else "DELETE FROM audit_events")
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(emptying))
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) > 0


def test_an_account_the_trail_names_cannot_be_deleted(app, trail):
    # Its foreign key would set the events' user_id to NULL: an UPDATE, refused like any.
    from portal.auth.models import User

    with app.app_context():
        screener = db.session.scalars(select(User).where(User.username == "screener")).one()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": screener.id})
        db.session.rollback()
        assert db.session.get(User, screener.id) is not None
