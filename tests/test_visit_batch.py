"""The batch a phone's outbox sends when the signal returns: each visit saved once, in its own
transaction, with the card's checks and the card's audit rows; refused with its reason in
Vietnamese when it cannot be saved now; dated when it was recorded on the phone."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.auth.session import UserSession
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.models import Resident, ResidentStatus
from portal.timeutil import utcnow
from portal.visits.models import Outcome, Visit


def _visit(resident_id: int, outcome: str = "willing", *, recorded_at=None, **fields) -> dict:
    client_uuid = str(uuid.uuid4())
    at = recorded_at or (utcnow() - timedelta(minutes=30))
    return {"client_uuid": client_uuid, "resident_id": resident_id,
            "recorded_at": at.isoformat(timespec="milliseconds") + "Z",
            "form": {"client_uuid": client_uuid, "outcome": outcome, "campaign_ids": "",
                     **fields}}


def _send(client, visits, *, token=None):
    if token is None:
        token = client.get("/offline/session", headers={"Accept": "application/json"}
                           ).get_json()["csrf"]
    return client.post("/visits/batch", json={"visits": visits},
                       headers={"X-CSRFToken": token, "Accept": "application/json"})


def _results(answer) -> list[tuple[str, str | None]]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [(r["status"], r["message"]) for r in answer.get_json()["results"]]


def _knocks(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(Visit.client_uuid, func.count()).group_by(
            Visit.client_uuid)).all())


@pytest.fixture
def screener(app, client, world):
    assert client.login("screener").status_code == 302
    return client


def test_a_batch_saves_each_visit_once_dated_when_the_phone_recorded_it(app, screener, world):
    recorded = utcnow().replace(microsecond=0) - timedelta(hours=3)
    first = _visit(world["duc"], "absent", recorded_at=recorded)
    again = _visit(world["duc"], "willing", recorded_at=recorded + timedelta(hours=1))
    refused = _visit(world["nam"], "refused", recorded_at=recorded + timedelta(hours=2),
                     refusal_reason="side_effects")
    answer = _send(screener, [first, again, refused])
    assert [s for s, _ in _results(answer)] == ["saved", "saved", "saved"]
    ids = [r["visit_ids"] for r in answer.get_json()["results"]]
    assert all(len(i) == 1 for i in ids)
    with app.app_context():
        visits = list(db.session.scalars(select(Visit).order_by(Visit.id)))
        assert [(v.resident_id, v.outcome, v.visited_at) for v in visits] == [
            (world["duc"], Outcome.ABSENT, recorded),
            (world["duc"], Outcome.WILLING, recorded + timedelta(hours=1)),
            (world["nam"], Outcome.REFUSED, recorded + timedelta(hours=2))]
        assert visits[2].refusal_reason.value == "side_effects"
        # It reached the server now, and says so.
        assert all(v.created_at > v.visited_at for v in visits)
        # The same rows in the trail as a save from the card.
        events = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "visit.create").order_by(AuditEvent.id)))
        assert [e.object_id for e in events] == [str(v.id) for v in visits]
        assert events[1].before["standing"] == "absent"
        assert events[1].after["standing"] == "willing"

    # The answer was lost; the phone sends the same three again: nothing more is saved.
    assert [s for s, _ in _results(_send(screener, [first, again, refused]))] == [
        "saved_before"] * 3
    assert sorted(_knocks(app).values()) == [1, 1, 1]


def test_one_bad_visit_does_not_hold_back_the_others(app, screener, world):
    good = _visit(world["duc"], "absent")
    no_reason = _visit(world["nam"], "refused")  # a refusal needs its reason
    elsewhere = _visit(world["khanh"], "absent")  # another commune
    damaged = _visit(world["lan"], "absent")
    damaged["form"]["client_uuid"] = str(uuid.uuid4())  # the form is not the one sent
    bad_date = _visit(world["nam"], "contraindicated", screening_category="deferral",
                      deferred_until="31/02/2023")
    last = _visit(world["hoa"], "willing")
    results = _results(_send(screener, [good, no_reason, elsewhere, damaged, bad_date, last]))
    assert [s for s, _ in results] == ["saved", "refused", "refused", "refused", "refused",
                                       "saved"]
    assert results[1][1] == "Vui lòng chọn lý do từ chối."
    assert "không thuộc địa bàn của bạn" in results[2][1]
    assert "bị hỏng" in results[3][1]
    assert results[4][1]  # the date is not a date: said, in Vietnamese
    assert set(_knocks(app)) == {good["client_uuid"], last["client_uuid"]}


def test_a_person_who_moved_away_or_died_meanwhile_is_refused_with_the_reason(app, screener,
                                                                                world):
    with app.app_context():
        db.session.get(Resident, world["duc"]).status = ResidentStatus.MOVED_AWAY
        db.session.get(Resident, world["nam"]).status = ResidentStatus.DECEASED
        db.session.commit()
    results = _results(_send(screener, [_visit(world["duc"]), _visit(world["nam"])]))
    assert results[0] == ("refused", ("Nguyễn Văn Đức đã được ghi là chuyển đi từ khi lần thăm "
                                      "này được ghi: lần thăm không được lưu."))
    assert results[1][0] == "refused" and "đã mất" in results[1][1]
    assert _knocks(app) == {}


def test_a_visit_by_someone_else_since_is_not_overwritten(app, client, screener, world):
    # The commune lead visited Đức at 10:15 (Vietnam) today; the phone's visit is from 09:00.
    lead = app.test_client()
    lead.login("commune_lead")
    now = utcnow().replace(second=0, microsecond=0)
    answer = _send(lead, [_visit(world["duc"], "refused", recorded_at=now - timedelta(minutes=20),
                                 refusal_reason="family")])
    assert _results(answer) == [("saved", None)]
    with app.app_context():
        lead_name = db.session.scalar(select(User.full_name).where(User.username == "commune_lead"))
    results = _results(_send(screener, [_visit(world["duc"], recorded_at=now - timedelta(hours=1))]))
    status, message = results[0]
    assert status == "refused"
    local = (now - timedelta(minutes=20) + timedelta(hours=7)).strftime("%d/%m/%Y %H:%M")
    assert message.startswith(f"{lead_name} đã thăm người này sau đó ({local})")
    # Recorded after the lead's: saved, and it counts.
    assert _results(_send(screener, [_visit(world["duc"], recorded_at=now - timedelta(minutes=5))]
                          ))[0][0] == "saved"


def test_a_campaign_closed_meanwhile_and_nothing_left_to_record_are_said(app, screener, world):
    with app.app_context():
        campaign = db.session.get(Campaign, world["campaign"])
        name = campaign.name
    listed = _visit(world["duc"], campaign_ids=str(world["campaign"]))
    up_to_date = _visit(world["lan"])  # Lan has her booster: nothing to record
    with app.app_context():
        db.session.get(Campaign, world["campaign"]).closed_at = utcnow()
        db.session.commit()
    results = _results(_send(screener, [listed, up_to_date]))
    assert results[0] == ("refused", (f"Chiến dịch “{name}” đã kết thúc từ đó: lần thăm không "
                                      "được lưu."))
    assert results[1][0] == "refused" and "Không còn gì để ghi" in results[1][1]


def test_a_client_id_of_another_persons_visit_is_refused(app, screener, world):
    first = _visit(world["duc"])
    assert _results(_send(screener, [first]))[0][0] == "saved"
    forged = _visit(world["nam"])
    forged["client_uuid"] = forged["form"]["client_uuid"] = first["client_uuid"]
    assert _results(_send(screener, [forged]))[0][0] == "refused"
    assert _knocks(app) == {first["client_uuid"]: 1}


@pytest.mark.parametrize("shift", [timedelta(days=-30), timedelta(hours=2)])
def test_a_phone_clock_out_of_reason_is_not_believed(app, screener, world, shift):
    before = utcnow()
    assert _results(_send(screener, [_visit(world["duc"], recorded_at=before + shift)]))[0][0] \
        == "saved"
    with app.app_context():
        visit = db.session.scalar(select(Visit))
        assert before <= visit.visited_at <= utcnow()


def test_the_batch_needs_its_csrf_token_and_a_live_session(app, screener, world):
    assert screener.post("/visits/batch", json={"visits": [_visit(world["duc"])]},
                         headers={"Accept": "application/json"}).status_code == 400
    token = screener.get("/offline/session", headers={"Accept": "application/json"}
                         ).get_json()["csrf"]
    with app.app_context():  # the login ends on the server (logged out elsewhere, expired)
        for login in db.session.scalars(select(UserSession)):
            login.ended_at = utcnow()
        db.session.commit()
    answer = _send(screener, [_visit(world["duc"])], token=token)
    assert answer.status_code == 401
    assert answer.get_json()["error"]
    assert _knocks(app) == {}


def test_a_batch_that_is_not_one_says_so(app, screener, world):
    token = screener.get("/offline/session", headers={"Accept": "application/json"}
                         ).get_json()["csrf"]
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    for body in ("{not json", '{"visits": 3}', "[]"):
        answer = screener.post("/visits/batch", data=body, content_type="application/json",
                               headers=headers)
        assert answer.status_code == 400
        assert answer.get_json()["error"] == "Yêu cầu không hợp lệ."
    answer = _send(screener, [_visit(world["duc"]) for _ in range(51)], token=token)
    assert answer.status_code == 400
    assert "50" in answer.get_json()["error"]
    assert _knocks(app) == {}


def test_batches_have_their_own_limit_per_user(app, screener, world):
    app.config["VISIT_BATCHES_PER_MINUTE"] = "2 per minute"
    for _ in range(2):
        assert _send(screener, []).status_code == 200
    answer = _send(screener, [_visit(world["duc"])])
    assert answer.status_code == 429
    assert answer.get_json()["error"]
    assert _knocks(app) == {}
    # Another user's phone is not held back by this one's.
    other = app.test_client()
    other.login("commune_lead")
    assert _results(_send(other, [_visit(world["duc"])]))[0][0] == "saved"


def test_a_visit_saved_from_the_outbox_can_be_undone_like_any_other(app, screener, world):
    answer = _send(screener, [_visit(world["duc"], "absent")])
    visit_id = answer.get_json()["results"][0]["visit_ids"][0]
    token = screener.get("/offline/session", headers={"Accept": "application/json"}
                         ).get_json()["csrf"]
    assert screener.post(f"/visits/{visit_id}/undo", data={"csrf_token": token}
                         ).status_code == 302
    with app.app_context():
        assert db.session.get(Visit, visit_id).undone_at is not None


def test_a_control_character_in_a_kept_visit_is_refused_with_the_forms_message(app, screener,
                                                                              world):
    results = _results(_send(screener, [_visit(world["duc"], "willing", note="Hẹn\x00 lại")]))
    assert results[0][0] == "refused"
    assert "ký tự điều khiển" in results[0][1]
    assert _knocks(app) == {}


@pytest.fixture
def visits_of_nam_fail(app, world):
    """The database refuses any visit of Nam's (a trigger): a fault the portal did not foresee."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            statements = [(f"CREATE TRIGGER nam_fails BEFORE INSERT ON visits WHEN "
                           f"NEW.resident_id = {world['nam']} BEGIN SELECT RAISE(ABORT, 'boom'); "
                           "END")]
            undo = ["DROP TRIGGER nam_fails"]
        else:
            statements = [
                ("CREATE FUNCTION nam_fails() RETURNS trigger AS $$ BEGIN "
                 "RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql"),
                (f"CREATE TRIGGER nam_fails BEFORE INSERT ON visits FOR EACH ROW WHEN "
                 f"(NEW.resident_id = {world['nam']}) EXECUTE FUNCTION nam_fails()")]
            undo = ["DROP TRIGGER nam_fails ON visits", "DROP FUNCTION nam_fails()"]
        for statement in statements:
            db.session.execute(text(statement))
        db.session.commit()
    yield
    with app.app_context():
        for statement in undo:
            db.session.execute(text(statement))
        db.session.commit()


def test_a_fault_in_one_visit_leaves_it_waiting_and_saves_the_others(app, screener, world,
                                                                     visits_of_nam_fail):
    first, faulty, last = (_visit(world["duc"], "absent"), _visit(world["nam"], "absent"),
                           _visit(world["hoa"], "absent"))
    results = _results(_send(screener, [first, faulty, last]))
    assert [s for s, _ in results] == ["saved", "failed", "saved"]
    assert "sẽ gửi lại" in results[1][1]
    assert set(_knocks(app)) == {first["client_uuid"], last["client_uuid"]}


def test_a_later_visit_of_the_same_batch_sees_what_an_earlier_one_changed(app, screener, world):
    now = utcnow()
    moved = _visit(world["duc"], "moved_away", recorded_at=now - timedelta(hours=2))
    after = _visit(world["duc"], "willing", recorded_at=now - timedelta(hours=1))
    results = _results(_send(screener, [moved, after]))
    assert results[0][0] == "saved"
    assert results[1][0] == "refused" and "chuyển đi" in results[1][1]
    with app.app_context():
        assert db.session.get(Resident, world["duc"]).status is ResidentStatus.MOVED_AWAY
