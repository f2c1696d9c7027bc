"""What each visit outcome does to a resident's standing in a campaign, and to their record."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.models import Dose, DoseKind, RecordSource, Resident, ResidentStatus
from portal.timeutil import months_after, utcnow
from portal.visits.models import Outcome, RefusalReason, ScreeningCategory, Visit
from portal.visits.outcomes import Standing, deferral_end_problem, effect_of, standing
from portal.visits.recording import UndoRefused, VisitInput, record_visit, undo_knock
from portal.visits.standings import standing_of

TODAY = date(2022, 7, 15)


def _visit(outcome, **fields) -> Visit:
    return Visit(outcome=outcome, **fields)


@pytest.mark.parametrize(
    "outcome, expected",
    [
        (Outcome.WILLING, Standing.WILLING),
        (Outcome.REFUSED, Standing.REFUSED),
        (Outcome.HOMEBOUND, Standing.HOMEBOUND),
        (Outcome.HOSPITALISED, Standing.HOSPITALISED),
        (Outcome.ABSENT, Standing.ABSENT),
        (Outcome.UP_TO_DATE, Standing.UP_TO_DATE),
        (Outcome.MOVED_AWAY, Standing.LEFT),
        (Outcome.DECEASED, Standing.LEFT),
    ],
)
def test_the_latest_visit_sets_the_standing_of_a_targeted_resident(outcome, expected):
    assert standing(resident_status=ResidentStatus.PRESENT, targeted=True, up_to_date=False,
                    latest_visit=_visit(outcome), today=TODAY) is expected


@pytest.mark.parametrize(
    "category, until, expected",
    [
        (ScreeningCategory.CONTRAINDICATION, None, Standing.CONTRAINDICATED),
        (ScreeningCategory.CAUTION, None, Standing.CAUTION),
        (ScreeningCategory.DEFERRAL, TODAY + timedelta(days=1), Standing.DEFERRED),
        (ScreeningCategory.DEFERRAL, TODAY, Standing.DEFERRAL_ENDED),
        (ScreeningCategory.DEFERRAL, TODAY - timedelta(days=30), Standing.DEFERRAL_ENDED),
    ],
)
def test_a_deferral_comes_back_when_its_date_is_reached(category, until, expected):
    visit = _visit(Outcome.CONTRAINDICATED, screening_category=category, deferred_until=until)
    assert standing(resident_status=ResidentStatus.PRESENT, targeted=True, up_to_date=False,
                    latest_visit=visit, today=TODAY) is expected


def test_register_and_doses_come_before_any_visit():
    refused = _visit(Outcome.REFUSED)
    common = {"latest_visit": refused, "today": TODAY}
    assert standing(resident_status=ResidentStatus.DECEASED, targeted=True, up_to_date=False,
                    **common) is Standing.LEFT
    assert standing(resident_status=ResidentStatus.PRESENT, targeted=False, up_to_date=False,
                    **common) is Standing.NOT_TARGETED
    assert standing(resident_status=ResidentStatus.PRESENT, targeted=True, up_to_date=True,
                    **common) is Standing.UP_TO_DATE
    assert standing(resident_status=ResidentStatus.PRESENT, targeted=True, up_to_date=False,
                    latest_visit=None, today=TODAY) is Standing.TO_VISIT


def test_only_moving_away_and_death_change_the_register_entry():
    assert effect_of(Outcome.MOVED_AWAY).resident_status is ResidentStatus.MOVED_AWAY
    assert effect_of(Outcome.DECEASED).resident_status is ResidentStatus.DECEASED
    assert effect_of(Outcome.UP_TO_DATE).proves_required_dose
    for outcome in set(Outcome) - {Outcome.MOVED_AWAY, Outcome.DECEASED, Outcome.UP_TO_DATE}:
        assert effect_of(outcome).resident_status is None
        assert not effect_of(outcome).proves_required_dose


def _record(app, world, who, outcome, client_uuid=None, **fields):
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.role == Role.SCREENER))
        resident = db.session.get(Resident, world[who])
        campaign = db.session.get(Campaign, world["campaign"])
        entry = VisitInput(client_uuid=client_uuid or str(uuid.uuid4()), outcome=outcome, **fields)
        visit, created = record_visit(user=user, resident=resident, campaign=campaign,
                                      entry=entry, today=TODAY)
        db.session.commit()
        return visit.id, created


def _standing(app, world, who) -> Standing:
    with app.app_context():
        resident = db.session.get(Resident, world[who])
        return standing_of(resident, db.session.get(Campaign, world["campaign"]), TODAY)


def test_a_resident_without_the_booster_is_to_visit_until_visited(app, world):
    assert _standing(app, world, "duc") is Standing.TO_VISIT
    assert _standing(app, world, "lan") is Standing.UP_TO_DATE  # has booster 1
    assert _standing(app, world, "be") is Standing.NOT_TARGETED  # a child
    _record(app, world, "duc", Outcome.REFUSED, refusal_reason=RefusalReason.SIDE_EFFECTS,
            note="Sợ tác dụng phụ")
    assert _standing(app, world, "duc") is Standing.REFUSED


def test_the_same_client_id_saves_one_visit(app, world):
    key = str(uuid.uuid4())
    first = _record(app, world, "duc", Outcome.ABSENT, client_uuid=key)
    again = _record(app, world, "duc", Outcome.ABSENT, client_uuid=key)
    assert first[1] is True and again == (first[0], False)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "visit.create")) == 1


def test_history_is_kept_and_the_latest_visit_counts(app, world):
    _record(app, world, "nam", Outcome.ABSENT)
    _record(app, world, "nam", Outcome.WILLING)
    assert _standing(app, world, "nam") is Standing.WILLING
    with app.app_context():
        outcomes = db.session.scalars(select(Visit.outcome).order_by(Visit.id)).all()
    assert outcomes == [Outcome.ABSENT, Outcome.WILLING]


def test_a_card_seen_adds_the_campaign_dose_from_the_card(app, world):
    visit_id, _ = _record(app, world, "hoa", Outcome.UP_TO_DATE,
                          dose_given_on=date(2022, 3, 1), vaccine="Pfizer-BioNTech")
    assert _standing(app, world, "hoa") is Standing.UP_TO_DATE
    with app.app_context():
        dose = db.session.scalars(select(Dose).where(Dose.visit_id == visit_id)).one()
        assert (dose.kind, dose.source, dose.given_on) == (
            DoseKind.BOOSTER_1, RecordSource.CARD, date(2022, 3, 1))


def test_moving_away_takes_the_resident_out_and_undo_brings_them_back(app, world):
    visit_id, _ = _record(app, world, "nam", Outcome.MOVED_AWAY)
    with app.app_context():
        assert db.session.get(Resident, world["nam"]).status is ResidentStatus.MOVED_AWAY
    assert _standing(app, world, "nam") is Standing.LEFT
    with app.test_request_context():
        visit = db.session.get(Visit, visit_id)
        undo_knock(visit, user=visit.user, now=utcnow(), today=TODAY)
        db.session.commit()
    with app.app_context():
        assert db.session.get(Resident, world["nam"]).status is ResidentStatus.PRESENT
        assert db.session.get(Visit, visit_id).undone_at is not None  # kept, marked undone
    assert _standing(app, world, "nam") is Standing.TO_VISIT


def test_undo_of_a_card_seen_removes_the_dose_it_added(app, world):
    visit_id, _ = _record(app, world, "hoa", Outcome.UP_TO_DATE)
    with app.test_request_context():
        visit = db.session.get(Visit, visit_id)
        undo_knock(visit, user=visit.user, now=utcnow(), today=TODAY)
        db.session.commit()
    assert _standing(app, world, "hoa") is Standing.TO_VISIT


def test_undo_is_refused_after_a_few_minutes_or_to_another_user(app, world):
    visit_id, _ = _record(app, world, "duc", Outcome.ABSENT)
    with app.test_request_context():
        visit = db.session.get(Visit, visit_id)
        with pytest.raises(UndoRefused):
            undo_knock(visit, user=visit.user, now=utcnow() + timedelta(minutes=6), today=TODAY)
        lead = db.session.scalar(select(User).where(User.role == Role.COMMUNE_LEAD))
        with pytest.raises(UndoRefused):
            undo_knock(visit, user=lead, now=utcnow(), today=TODAY)


def test_every_visit_is_audited_with_the_standing_before_and_after(app, world):
    visit_id, _ = _record(app, world, "duc", Outcome.REFUSED,
                          refusal_reason=RefusalReason.FAMILY, note="Gia đình không đồng ý")
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "visit.create")).one()
    assert event.object_id == str(visit_id)
    assert event.before["standing"] == "to_visit"
    assert event.after["standing"] == "refused"
    assert event.after["refusal_reason"] == "family"
    # The words stay on the visit: the trail, which can never be changed, holds no free text.
    assert "Gia đình không đồng ý" not in str(event.after) and "note" not in event.after


@pytest.mark.parametrize("until, refused", [
    (date(9999, 12, 31), "tối đa 12 tháng"),
    (date(2023, 7, 16), "tối đa 12 tháng"),  # a year and a day
    (TODAY, "tương lai"),
    (date(2022, 7, 16), None),
    (date(2023, 7, 15), None),  # twelve months to the day: the longest deferral
])
def test_a_deferral_until_9999_is_refused(app, until, refused):
    with app.test_request_context():
        problem = deferral_end_problem(until, TODAY)
    if refused is None:
        assert problem is None
    else:
        assert refused in problem
        assert "15/07/2023" in problem or refused == "tương lai"


def test_the_longest_deferral_counts_calendar_months():
    assert months_after(date(2022, 1, 31), 1) == date(2022, 2, 28)
    assert months_after(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert months_after(date(2022, 7, 15), 12) == date(2023, 7, 15)
    assert months_after(date(2022, 11, 30), 3) == date(2023, 2, 28)
