"""The compliance list: who of the target population is on it, and why, for every outcome."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.lists.compliance import REASON_BY_STANDING, compile_list, counts_by_hamlet
from portal.lists.models import ComplianceReason
from portal.residents.models import Resident
from portal.visits.models import Outcome, RefusalReason, ScreeningCategory
from portal.visits.outcomes import Standing
from portal.visits.recording import VisitInput, record_visit

from helpers import unit

TODAY = date(2022, 7, 15)


def _visit(world, key, outcome, **fields):
    user = db.session.scalar(select(User).where(User.username == "screener"))
    record_visit(user=user, resident=db.session.get(Resident, world[key]),
                 campaign=db.session.get(Campaign, world["campaign"]),
                 entry=VisitInput(client_uuid=str(uuid.uuid4()), outcome=outcome, **fields),
                 today=TODAY)
    db.session.commit()


def _reasons(world) -> dict[str, ComplianceReason]:
    entries = compile_list(db.session.get(Campaign, world["campaign"]), unit("31117"), TODAY)
    names = {v: k for k, v in world.items() if k != "campaign"}
    return {names[e.resident.id]: e.reason for e in entries}


def test_every_standing_has_a_rule():
    assert set(REASON_BY_STANDING) == set(Standing)


def test_the_list_holds_the_targeted_who_are_not_up_to_date(app, world):
    with app.app_context():
        # Đức and Nam lack booster 1 (Khu vực 1), Hoa too (Khu vực 2); Lan has it; Bảo Anh is 7.
        assert _reasons(world) == {"duc": ComplianceReason.NOT_VISITED,
                                   "nam": ComplianceReason.NOT_VISITED,
                                   "hoa": ComplianceReason.NOT_VISITED}
        entries = compile_list(db.session.get(Campaign, world["campaign"]), unit("31117"), TODAY)
        assert [e.resident.full_name for e in entries] == ["Nguyễn Văn Đức", "Trần Văn Nam",
                                                            "Lê Thị Hoa"]  # by hamlet, household
        assert [e.doses_received for e in entries] == [2, 1, 2]
        assert list(counts_by_hamlet(entries)) == ["Khu vực 1", "Khu vực 2"]


@pytest.mark.parametrize("outcome, fields, reason", [
    (Outcome.WILLING, {}, ComplianceReason.WILLING),
    (Outcome.REFUSED, {"refusal_reason": RefusalReason.FAMILY}, ComplianceReason.REFUSED),
    (Outcome.ABSENT, {}, ComplianceReason.ABSENT),
    (Outcome.HOMEBOUND, {}, ComplianceReason.HOMEBOUND),
    (Outcome.HOSPITALISED, {}, ComplianceReason.HOSPITALISED),
    (Outcome.CONTRAINDICATED, {"screening_category": ScreeningCategory.CONTRAINDICATION,
                               "reason": "Phản vệ độ 3 với mũi trước"},
     ComplianceReason.CONTRAINDICATED),
    (Outcome.CONTRAINDICATED, {"screening_category": ScreeningCategory.CAUTION,
                               "reason": "Bệnh nền chưa ổn định"}, ComplianceReason.CAUTION),
    (Outcome.CONTRAINDICATED, {"screening_category": ScreeningCategory.DEFERRAL,
                               "deferred_until": TODAY + timedelta(days=30),
                               "reason": "Mắc COVID-19 tháng trước"}, ComplianceReason.DEFERRED),
])
def test_each_outcome_gives_its_reason(app, world, outcome, fields, reason):
    with app.app_context():
        _visit(world, "duc", outcome, **fields)
        assert _reasons(world)["duc"] is reason


@pytest.mark.parametrize("outcome", [Outcome.MOVED_AWAY, Outcome.DECEASED, Outcome.UP_TO_DATE])
def test_leaving_or_showing_a_card_takes_a_person_off_the_list(app, world, outcome):
    with app.app_context():
        _visit(world, "duc", outcome, dose_given_on=TODAY - timedelta(days=3))
        assert "duc" not in _reasons(world)


def test_a_deferral_that_has_ended_puts_the_person_back_as_due(app, world):
    with app.app_context():
        _visit(world, "duc", Outcome.CONTRAINDICATED, screening_category=ScreeningCategory.DEFERRAL,
               deferred_until=TODAY + timedelta(days=10), reason="Sốt")
        campaign = db.session.get(Campaign, world["campaign"])
        on = {e.resident.id: e for e in compile_list(campaign, unit("31117"), TODAY)}
        assert on[world["duc"]].reason is ComplianceReason.DEFERRED
        assert on[world["duc"]].deferred_until == TODAY + timedelta(days=10)
        later = {e.resident.id: e for e in compile_list(campaign, unit("31117"),
                                                         TODAY + timedelta(days=10))}
        assert later[world["duc"]].reason is ComplianceReason.NOT_VISITED


def test_the_latest_visit_counts_and_an_undone_one_does_not(app, world):
    from portal.visits.recording import undo_knock
    from portal.visits.models import Visit

    with app.app_context():
        _visit(world, "duc", Outcome.ABSENT)
        _visit(world, "duc", Outcome.REFUSED, refusal_reason=RefusalReason.SIDE_EFFECTS)
        assert _reasons(world)["duc"] is ComplianceReason.REFUSED
        user = db.session.scalar(select(User).where(User.username == "screener"))
        latest = db.session.scalars(select(Visit).order_by(Visit.id.desc())).first()
        undo_knock(latest, user=user, now=latest.created_at, today=TODAY)
        db.session.commit()
        assert _reasons(world)["duc"] is ComplianceReason.ABSENT


def test_only_a_commune_has_a_list(app, world):
    with app.app_context():
        with pytest.raises(ValueError):
            compile_list(db.session.get(Campaign, world["campaign"]), unit("916"), TODAY)
