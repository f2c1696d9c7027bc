"""Submit, return, resubmit, approve: every legal move, and the illegal ones refused."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.lists.models import ComplianceList, ComplianceReason, ListState
from portal.lists.workflow import TransitionRefused, approve, send_back, submit
from portal.residents.models import Resident
from portal.visits.models import Outcome, RefusalReason
from portal.visits.recording import VisitInput, record_visit

from helpers import unit

TODAY = date(2022, 7, 15)


def _user(name) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _submit(world, who="commune_lead", code="31117") -> ComplianceList:
    campaign = db.session.get(Campaign, world["campaign"])
    submitted = submit(_user(who), campaign, unit(code), TODAY)
    db.session.commit()
    return submitted


def test_submitting_freezes_the_rows_as_version_1(app, world):
    with app.app_context():
        first = _submit(world)
        assert (first.version, first.state) == (1, ListState.SUBMITTED)
        assert [r.full_name for r in first.rows] == ["Nguyễn Văn Đức", "Trần Văn Nam", "Lê Thị Hoa"]
        assert first.rows[0].hamlet_name == "Khu vực 1" and first.rows[0].id_number == "092060001234"
        # Later changes to a resident do not touch the frozen row.
        db.session.get(Resident, world["duc"]).full_name = "Nguyễn Văn Đức (đã sửa)"
        db.session.commit()
        db.session.refresh(first)
        assert first.rows[0].full_name == "Nguyễn Văn Đức"


def test_a_frozen_row_keeps_the_reason_not_the_words_of_the_visit(app, world):
    with app.app_context():
        record_visit(user=_user("screener"), resident=db.session.get(Resident, world["duc"]),
                     campaign=db.session.get(Campaign, world["campaign"]),
                     entry=VisitInput(client_uuid=str(uuid.uuid4()), outcome=Outcome.REFUSED,
                                      refusal_reason=RefusalReason.FAMILY, note="Hẹn tuần sau"),
                     today=TODAY)
        db.session.commit()
        submitted = _submit(world)
        duc = next(row for row in submitted.rows if row.resident_id == world["duc"])
        assert duc.reason is ComplianceReason.REFUSED
        assert duc.reason_detail is None  # the note stays with the visit, in the portal


def test_returned_then_resubmitted_then_approved_with_every_step_audited(app, world):
    with app.app_context():
        first = _submit(world)
        send_back(_user("district_officer"), first, "Thiếu lý do của hộ ông Nam")
        db.session.commit()
        assert first.state is ListState.RETURNED and first.review_comment.startswith("Thiếu")
        second = _submit(world)
        assert second.version == 2
        approve(_user("district_officer"), second)
        db.session.commit()
        assert second.state is ListState.APPROVED and second.reviewed_by_id == _user("district_officer").id
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "list").order_by(AuditEvent.id)).all()
        assert actions == ["list.submit", "list.return", "list.submit", "list.approve"]


@pytest.mark.parametrize("setup, who, move, message", [
    ("draft", "district_officer", "approve", "danh sách này đang là bản nháp"),
    ("submitted", "commune_lead", "submit", "Phiên bản 1 đang chờ"),
    ("submitted", "clerk", "approve", "Chỉ cán bộ y tế cấp trên"),
    ("submitted", "commune_lead", "approve", "Chỉ cán bộ y tế cấp trên"),
    ("submitted", "district_officer", "return-empty", "phải có ý kiến"),
    ("approved", "district_officer", "approve", "danh sách này đã được phê duyệt"),
    ("approved", "commune_lead", "submit", "đã được phê duyệt, không thể gửi lại"),
    ("approved", "district_officer", "return", "danh sách này đã được phê duyệt"),
    ("none", "screener", "submit", "Chỉ lãnh đạo xã, phường"),
    ("none", "district_officer", "submit", "Chỉ lãnh đạo xã, phường"),
])
def test_illegal_moves_are_refused_and_change_nothing(app, world, setup, who, move, message):
    with app.app_context():
        campaign = db.session.get(Campaign, world["campaign"])
        lst = None
        if setup == "draft":
            lst = ComplianceList(campaign_id=campaign.id, commune_id=unit("31117").id,
                                 state=ListState.DRAFT)
            db.session.add(lst)
            db.session.commit()
        elif setup in ("submitted", "approved"):
            lst = _submit(world)
            if setup == "approved":
                approve(_user("district_officer"), lst)
                db.session.commit()
        before = (lst.state, lst.version) if lst else None
        events = db.session.scalars(select(AuditEvent.id)).all()
        with pytest.raises(TransitionRefused) as refused:
            if move == "submit":
                submit(_user(who), campaign, unit("31117"), TODAY)
            elif move == "approve":
                approve(_user(who), lst)
            elif move == "return":
                send_back(_user(who), lst, "Sửa lại")
            else:
                send_back(_user(who), lst, "   ")
        assert message in str(refused.value)
        db.session.rollback()
        if lst is not None:
            db.session.refresh(lst)
            assert (lst.state, lst.version) == before
        assert db.session.scalars(select(AuditEvent.id)).all() == events


def test_a_commune_lead_cannot_submit_another_communes_list(app, world):
    with app.app_context():
        with pytest.raises(TransitionRefused, match="xã, phường mình"):
            _submit(world, code="31120")
