"""Erasing a person and purging a closed campaign past its retention period: commands that
remove personal data, keep what the audit trail and the approved lists must keep, and say so
in the trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.jobs import runner as jobs
from portal.jobs.models import Job, JobState
from portal.lists.models import ComplianceList, ComplianceListRow, ListFile, ListState
from portal.residents.models import Dose, Household, Resident, ResidentSearchTerm
from portal.timeutil import utcnow
from portal.visits.models import Visit

from helpers import HX, list_id_of, uuid_for

NOTE = "Vợ đang mang thai, hẹn tháng sau"
MEDICAL_REASON = "Đang sốt, mắc bệnh cấp tính"


def _refuse(client, resident_id: int) -> None:
    page = client.get(f"/residents/{resident_id}").get_data(as_text=True)
    answer = client.post_form(f"/residents/{resident_id}/visits", {
        "outcome": "refused", "client_uuid": uuid_for(page, "refused"),
        "refusal_reason": "side_effects", "note": NOTE}, headers=HX)
    assert answer.status_code == 200


def _as(client, username: str):
    client.post_form("/logout")
    client.login(username)


def _files_done(app, list_id: int) -> None:
    with app.app_context():
        job_id = db.session.scalar(select(Job.id).where(
            Job.subject_type == "list", Job.subject_id == list_id).order_by(Job.created_at.desc()))
        assert jobs.wait(job_id).state is JobState.DONE


@pytest.fixture
def lists(app, client, world):
    """Đức refused, with a note; his commune's list returned (version 1), then version 2 with
    its draft files, approved with its final files."""
    client.login("screener")
    _refuse(client, world["duc"])
    _as(client, "commune_lead")
    returned = list_id_of(client.post_form("/lists/submit", {}))
    _as(client, "district_officer")
    client.post_form(f"/lists/{returned}/return", {"comment": "Bổ sung chữ ký"})
    _as(client, "commune_lead")
    approved = list_id_of(client.post_form("/lists/submit", {}))
    client.post_form(f"/lists/{approved}/files", {})
    _files_done(app, approved)
    _as(client, "district_officer")
    client.post_form(f"/lists/{approved}/approve", {})
    _files_done(app, approved)
    client.post_form("/logout")
    with app.app_context():
        household = db.session.get(Resident, world["duc"]).household
        household.head_name = "Nguyễn Văn Đức"
        db.session.commit()
    return {"returned": returned, "approved": approved}


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def _row(list_id: int, resident_row: int = 0) -> ComplianceListRow:
    return db.session.scalars(select(ComplianceListRow).where(
        ComplianceListRow.list_id == list_id).order_by(ComplianceListRow.position)).all()[
        resident_row]


def test_erasing_a_person_keeps_the_audit_and_removes_their_details(app, runner, client, world,
                                                                    lists):
    duc = world["duc"]
    with app.app_context():
        events_before = _count(AuditEvent)
        household_id = db.session.get(Resident, duc).household_id
        assert _count(Visit, Visit.resident_id == duc) == 1
    result = runner.invoke(args=["residents", "erase", str(duc), "--grounds",
                                 "Đơn yêu cầu ngày 02/12/2026", "--by", "admin", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Erased resident" in result.output and "1 rows of approved lists kept" in result.output
    with app.app_context():
        # The person is gone from the portal: record, visits, doses, search index, household.
        assert db.session.get(Resident, duc) is None
        assert _count(Visit, Visit.resident_id == duc) == 0
        assert _count(Dose, Dose.resident_id == duc) == 0
        assert _count(ResidentSearchTerm, ResidentSearchTerm.resident_id == duc) == 0
        assert db.session.get(Household, household_id).head_name is None
        # The returned list's row keeps its reason, not the person.
        cleared = _row(lists["returned"])
        assert (cleared.full_name, cleared.id_number, cleared.phone, cleared.birth_date,
                cleared.resident_id) == ("(đã xóa)", None, None, None, None)
        assert cleared.reason.value == "refused"
        # The approved list is the document the district approved: kept as it was, with its
        # final files; its draft files, which printed him too, are gone.
        kept = _row(lists["approved"])
        assert (kept.full_name, kept.id_number, kept.resident_id) == (
            "Nguyễn Văn Đức", "092060001234", None)
        files = db.session.execute(select(ListFile.final).where(
            ListFile.list_id == lists["approved"])).scalars().all()
        assert sorted(files) == [True, True, True]
        # The trail keeps every event and adds the erasure, with its grounds and what went.
        assert _count(AuditEvent) == events_before + 1
        erasure = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "resident.erase")).one()
        assert (erasure.username, erasure.object_id) == ("admin", str(duc))
        assert erasure.after == {"grounds": "Đơn yêu cầu ngày 02/12/2026", "visits": 1,
                                 "doses": 2, "list_rows_kept": 1, "list_rows_cleared": 1,
                                 "draft_files": 3}
        assert _count(AuditEvent, AuditEvent.object_type == "resident",
                      AuditEvent.object_id == str(duc), AuditEvent.action == "resident.view") == 1
    # No screen finds him any more.
    client.login("screener")
    html = client.get("/residents/search?q=nguyen van duc", headers=HX).get_data(as_text=True)
    assert "Nguyễn Văn Đức" not in html
    assert client.get(f"/residents/{duc}").status_code == 404


@pytest.mark.parametrize("args, message", [
    (["--grounds", "Đơn yêu cầu", "--by", "district_officer"], "Only an admin"),
    (["--grounds", "   ", "--by", "admin"], "Say why"),
    (["--grounds", "Đơn yêu cầu", "--by", "nobody"], "No active account nobody"),
])
def test_an_erasure_is_refused_without_an_admin_or_grounds(app, runner, world, args, message):
    result = runner.invoke(args=["residents", "erase", str(world["duc"]), *args, "--yes"])
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert db.session.get(Resident, world["duc"]) is not None
        assert _count(AuditEvent, AuditEvent.action == "resident.erase") == 0


def _close(app, campaign_id: int, ago: timedelta) -> None:
    with app.app_context():
        db.session.get(Campaign, campaign_id).closed_at = utcnow() - ago
        db.session.commit()


def test_a_closed_campaign_is_purged_after_its_retention_period_and_audited(
        app, runner, client, world, lists):
    with app.app_context():
        # A row frozen before lists stopped keeping a visit's words.
        row = _row(lists["approved"])
        db.session.execute(ComplianceListRow.__table__.update().where(
            ComplianceListRow.id == row.id).values(reason_detail=MEDICAL_REASON))
        db.session.commit()
    _close(app, world["campaign"], timedelta(days=365 * 4))
    early = runner.invoke(args=["campaigns", "purge"])
    assert early.exit_code == 0 and "No campaign closed more than 5 years ago" in early.output
    with app.app_context():
        assert _count(Visit, Visit.note == NOTE) == 1

    _close(app, world["campaign"], timedelta(days=365 * 5 + 2))
    dry = runner.invoke(args=["campaigns", "purge", "--dry-run"])
    assert "Would purge" in dry.output and "1 visits, 1 list rows, 3 draft files" in dry.output
    with app.app_context():
        assert _count(Visit, Visit.note == NOTE) == 1
        assert _count(AuditEvent, AuditEvent.action == "campaign.purge") == 0

    done = runner.invoke(args=["campaigns", "purge"])
    assert done.exit_code == 0 and "Purged campaign" in done.output, done.output
    with app.app_context():
        visit = db.session.scalars(select(Visit).where(Visit.resident_id == world["duc"])).one()
        assert (visit.note, visit.reason, visit.refusal_reason) == (None, None, None)
        assert visit.outcome.value == "refused"  # who was found, with which outcome, stays
        assert _row(lists["approved"]).reason_detail is None
        approved = db.session.get(ComplianceList, lists["approved"])
        assert approved.state is ListState.APPROVED and len(approved.rows) == 3
        assert sorted(db.session.scalars(select(ListFile.final).where(
            ListFile.list_id == lists["approved"]))) == [True, True, True]
        purge = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "campaign.purge")).one()
        assert purge.object_id == str(world["campaign"])
        assert purge.after == {"retention_years": 5, "visits": 1, "list_rows": 1,
                               "draft_files": 3}
    # Again: nothing is left to remove, and nothing more is recorded.
    runner.invoke(args=["campaigns", "purge"])
    with app.app_context():
        assert _count(AuditEvent, AuditEvent.action == "campaign.purge") == 1


def test_the_retention_period_is_configurable(app, runner, world):
    app.config["RETENTION_YEARS"] = 10
    _close(app, world["campaign"], timedelta(days=365 * 6))
    result = runner.invoke(args=["campaigns", "purge"])
    assert "No campaign closed more than 10 years ago" in result.output
