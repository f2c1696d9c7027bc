"""`flask seed-demo`: realistic data as seed 002 describes it, accounts that log in, one transaction."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.auth.models import Role, User
from portal.demo import DEMO_PASSWORD, REFERENCE_DAY
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.identity import clean_id_number, clean_phone
from portal.residents.models import (
    Dose, DoseKind, Household, RecordSource, Resident, ResidentSearchTerm, ResidentStatus,
)
from portal.units.models import AdministrativeUnit, UnitLevel
from portal.visits.models import Visit

ADULT_BORN_BY = date(2004, 7, 8)
CHILD_BORN_AFTER = date(2010, 7, 8)  # under 12 on the reference day
DOSE_SCHEDULE = (DoseKind.DOSE_1, DoseKind.DOSE_2, DoseKind.BOOSTER_1, DoseKind.BOOSTER_2)


def _seed(runner, residents=6000, seed=7, *extra):
    return runner.invoke(args=["seed-demo", "--residents", str(residents), "--seed", str(seed),
                               *extra])


def test_the_demo_loads_units_people_and_one_account_per_role(app, runner):
    result = _seed(runner)
    assert result.exit_code == 0, result.output
    assert "6000 residents" in result.output
    with app.app_context():
        levels = dict(db.session.execute(
            select(AdministrativeUnit.level, func.count()).group_by(AdministrativeUnit.level)
        ).all())
        assert levels[UnitLevel.PROVINCE] == 1 and levels[UnitLevel.DISTRICT] == 1
        assert levels[UnitLevel.COMMUNE] >= 3 and levels[UnitLevel.HAMLET] >= 18
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 6000
        assert db.session.scalar(select(func.count()).select_from(Household)) > 1000
        accounts = {u.username: u for u in db.session.scalars(select(User))}
        assert {name: accounts[name].role for name in accounts} == {
            "screener": Role.SCREENER, "commune_lead": Role.COMMUNE_LEAD,
            "district_officer": Role.DISTRICT_OFFICER, "clerk": Role.CLERK, "admin": Role.ADMIN,
        }
        assert accounts["screener"].unit.level is UnitLevel.COMMUNE
        assert accounts["screener"].hamlets, "the screener walks some hamlets"
        assert accounts["commune_lead"].unit_id == accounts["screener"].unit_id
        assert accounts["district_officer"].unit.level is UnitLevel.DISTRICT
        assert accounts["admin"].unit.level is UnitLevel.PROVINCE
        active = db.session.scalars(select(Campaign).where(Campaign.is_open)).all()
        assert sorted(c.required_dose for c in active) == sorted([
            DoseKind.DOSE_1, DoseKind.DOSE_2, DoseKind.BOOSTER_1, DoseKind.BOOSTER_2])
        # Visits in one commune only, by the screener.
        visited_communes = db.session.scalars(
            select(AdministrativeUnit.parent_id).distinct()
            .join(Resident, Resident.hamlet_id == AdministrativeUnit.id)
            .join(Visit, Visit.resident_id == Resident.id)
        ).all()
        assert visited_communes == [accounts["screener"].unit_id]


def test_the_demo_records_its_visits_as_a_screener_would(app, runner):
    """Through record_knock: an audit row each, a card seen proves its dose, only kept details."""
    from portal.audit.models import AuditEvent
    from portal.visits.models import Outcome, ScreeningCategory

    assert _seed(runner, 6000).exit_code == 0
    with app.app_context():
        visits = db.session.scalars(select(Visit)).all()
        assert len(visits) > 100
        audited = set(db.session.scalars(
            select(AuditEvent.object_id).where(AuditEvent.action == "visit.create")))
        assert audited == {str(v.id) for v in visits}
        card_doses = {d.visit_id: d for d in db.session.scalars(
            select(Dose).where(Dose.source == RecordSource.CARD))}
        outcomes = {v.outcome for v in visits}
        assert {Outcome.WILLING, Outcome.REFUSED, Outcome.CONTRAINDICATED,
                Outcome.UP_TO_DATE} <= outcomes
        for visit in visits:
            assert (visit.refusal_reason is not None) == (visit.outcome is Outcome.REFUSED)
            assert (visit.screening_category is not None) == (
                visit.outcome is Outcome.CONTRAINDICATED)
            assert (visit.deferred_until is not None) == (
                visit.screening_category is ScreeningCategory.DEFERRAL)
            if visit.outcome is Outcome.UP_TO_DATE:
                dose = card_doses[visit.id]
                assert dose.kind is DoseKind.BOOSTER_1 and dose.resident_id == visit.resident_id
                assert dose.given_on < visit.visited_at.date() and dose.vaccine
            else:
                assert visit.id not in card_doses
        # A knock screens every open campaign the person needs: some knocks recorded two
        # (booster 1 and booster 2 for the 50+), the children's campaigns were visited too.
        knocks: dict[str, set[int]] = {}
        for visit in visits:
            knocks.setdefault(visit.client_uuid, set()).add(visit.campaign_id)
        assert max(len(campaigns) for campaigns in knocks.values()) >= 2
        children = {c.id for c in db.session.scalars(select(Campaign).where(
            Campaign.is_open, Campaign.max_age.is_not(None)))}
        assert children & {v.campaign_id for v in visits}


def test_coverage_looks_like_seed_002(app, runner):
    """Booster 1 58.1 % and booster 2 9 % of adults, children of 5 to under 12 dose 1 89 % and
    dose 2 36 % (seed 002, 08/07/2022)."""
    assert _seed(runner, 20_000).exit_code == 0
    with app.app_context():
        adults = select(Resident.id).where(
            Resident.birth_date <= ADULT_BORN_BY, Resident.status == ResidentStatus.PRESENT
        ).scalar_subquery()
        assert 0.93 <= _dose_share(DoseKind.DOSE_1, adults) <= 0.97
        assert 0.82 <= _dose_share(DoseKind.DOSE_2, adults) <= 0.88
        assert 0.55 <= _dose_share(DoseKind.BOOSTER_1, adults) <= 0.62
        assert 0.075 <= _dose_share(DoseKind.BOOSTER_2, adults) <= 0.105
        children = select(Resident.id).where(
            Resident.birth_date > CHILD_BORN_AFTER, Resident.birth_date <= date(2017, 7, 8),
            Resident.status == ResidentStatus.PRESENT).scalar_subquery()
        assert db.session.scalar(select(func.count()).where(Resident.id.in_(children))) > 1500
        assert 0.86 <= _dose_share(DoseKind.DOSE_1, children) <= 0.92
        assert 0.32 <= _dose_share(DoseKind.DOSE_2, children) <= 0.40
        # The platform's records stop the day before the reference day; cards seen later may not.
        last = db.session.scalar(select(func.max(Dose.given_on)).where(
            Dose.source == RecordSource.PLATFORM))
        assert last < REFERENCE_DAY


def _dose_share(kind: DoseKind, people) -> float:
    """The share of `people` (a subquery of resident ids) who had this dose."""
    given = db.session.scalar(select(func.count(func.distinct(Dose.resident_id))).where(
        Dose.kind == kind, Dose.resident_id.in_(people)))
    return given / db.session.scalar(select(func.count()).where(Resident.id.in_(people)))


def test_residents_look_real(app, runner):
    assert _seed(runner, 3000).exit_code == 0
    with app.app_context():
        people = db.session.scalars(select(Resident)).all()
    names = [p.full_name for p in people]
    assert sum(bool(re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]",
                              n.lower())) for n in names) > 0.9 * len(names)
    assert "Nguyễn Văn Đức" in names  # the name the README's search example finds
    sexes = {p.sex for p in people}
    assert len(sexes) == 2
    ages = [REFERENCE_DAY.year - p.birth_year for p in people]
    assert min(ages) <= 4 and max(ages) >= 80
    assert 25 <= sorted(ages)[len(ages) // 2] <= 45  # a median age like Viet Nam's
    for person in people:
        if person.id_number:
            female = person.sex.value == "female"
            assert clean_id_number(person.id_number, person.birth_year, female) == person.id_number
        if person.phone:
            assert clean_phone(person.phone) == person.phone
    ids = [p.id_number for p in people if p.id_number]
    assert len(ids) == len(set(ids)) > 0.6 * len(people)
    assert any(p.chronic_condition for p in people) and any(p.pregnant for p in people)


def test_demo_residents_are_in_the_search_index(app, runner):
    assert _seed(runner, 2000).exit_code == 0
    with app.app_context():
        residents = db.session.scalar(select(func.count()).select_from(Resident))
        indexed = db.session.scalar(
            select(func.count(func.distinct(ResidentSearchTerm.resident_id))))
        assert indexed == residents
        duc = db.session.scalars(select(Resident).where(Resident.full_name == "Nguyễn Văn Đức")).first()
        terms = set(db.session.scalars(
            select(ResidentSearchTerm.term).where(ResidentSearchTerm.resident_id == duc.id)))
        assert terms == {"nguyen", "van", "duc"}


def test_new_rows_after_the_demo_get_fresh_ids(app, runner):
    """Bulk inserts set ids themselves; PostgreSQL's sequences must have moved past them."""
    assert _seed(runner, 500).exit_code == 0
    with app.app_context():
        hamlet = db.session.scalars(
            select(AdministrativeUnit).where(AdministrativeUnit.level == UnitLevel.HAMLET)).first()
        household = Household(hamlet_id=hamlet.id, code="HGĐ-9999", address="Số 1")
        db.session.add(household)
        db.session.commit()
        assert household.id > 1


def test_demo_accounts_log_in_and_land_on_their_home_pages(app, runner, client):
    assert _seed(runner, 500).exit_code == 0
    for username in ("screener", "commune_lead", "district_officer", "clerk", "admin"):
        response = client.login(username, DEMO_PASSWORD)
        assert response.status_code == 302, username
        home = client.get(response.headers["Location"])
        assert home.status_code == 200
        with app.app_context():
            user = db.session.scalars(select(User).where(User.username == username)).one()
            assert user.unit.name in home.get_data(as_text=True)
        client.post_form("/logout", {})


def test_the_demo_loads_only_into_an_empty_database(app, runner):
    assert _seed(runner, 300).exit_code == 0
    again = _seed(runner, 300)
    assert again.exit_code != 0
    assert "empty database" in again.output
    skipped = _seed(runner, 300, 7, "--if-empty")
    assert skipped.exit_code == 0 and "not loaded" in skipped.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 300


def test_too_few_residents_is_refused(app, runner):
    result = _seed(runner, 10)
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AdministrativeUnit)) == 0


def test_dose_histories_keep_the_intervals_the_campaigns_require(app, runner):
    """Each dose after the one before it, by at least the campaign's interval: booster 1 three
    months after dose 2, booster 2 four months after booster 1, a child's dose 2 eight weeks
    after dose 1."""
    assert _seed(runner, 6000).exit_code == 0
    with app.app_context():
        interval = {c.required_dose: c.min_interval_days for c in db.session.scalars(
            select(Campaign).where(Campaign.is_open))}
        doses: dict[int, dict[DoseKind, date]] = {}
        for resident_id, kind, given_on in db.session.execute(
                select(Dose.resident_id, Dose.kind, Dose.given_on)
                .where(Dose.source == RecordSource.PLATFORM)):
            doses.setdefault(resident_id, {})[kind] = given_on
        born = dict(db.session.execute(select(Resident.id, Resident.birth_date)).all())
    assert interval == {DoseKind.BOOSTER_1: 90, DoseKind.BOOSTER_2: 120, DoseKind.DOSE_1: 0,
                        DoseKind.DOSE_2: 56}
    gaps = {DoseKind.BOOSTER_1: [], DoseKind.BOOSTER_2: [], DoseKind.DOSE_2: []}
    for resident_id, given in doses.items():
        for before, after in zip(DOSE_SCHEDULE, DOSE_SCHEDULE[1:]):
            if after in given:
                assert before in given and given[before] < given[after]
                if after is not DoseKind.DOSE_2 or born[resident_id] > CHILD_BORN_AFTER:
                    gaps[after].append((given[after] - given[before]).days)
    assert all(gaps.values())
    for dose, days in gaps.items():
        assert min(days) >= interval[dose], dose


def test_the_demo_runs_seed_002s_four_campaigns_and_seed_004s_closed_one(app, runner):
    assert _seed(runner, 500).exit_code == 0
    with app.app_context():
        campaigns = db.session.scalars(select(Campaign).order_by(Campaign.id)).all()
        open_ones = {(c.required_dose, c.min_age, c.max_age, c.risk_groups_only,
                      tuple(c.prior_doses), c.min_interval_days)
                     for c in campaigns if c.is_open}
        assert open_ones == {
            (DoseKind.BOOSTER_1, 18, None, False, ("dose_1", "dose_2"), 90),
            (DoseKind.BOOSTER_2, 18, None, True, ("dose_1", "dose_2", "booster_1"), 120),
            (DoseKind.DOSE_1, 5, 12, False, (), 0),
            (DoseKind.DOSE_2, 5, 12, False, ("dose_1",), 56),
        }
        province = db.session.scalars(select(AdministrativeUnit).where(
            AdministrativeUnit.level == UnitLevel.PROVINCE)).one()
        for campaign in campaigns:
            assert campaign.unit_id == province.id
            if campaign.is_open:
                assert campaign.age_reference_date == REFERENCE_DAY  # seed 002's day
                assert campaign.deadline > REFERENCE_DAY
        [closed] = [c for c in campaigns if not c.is_open]
        assert (closed.required_dose, closed.min_age, closed.prior_doses) == (
            DoseKind.DOSE_2, 18, ["dose_1"])
        assert closed.starts_on.year == closed.deadline.year == 2021  # seed 004: Q4 2021
        assert closed.closed_at.date() > closed.deadline


def test_the_closed_campaign_has_the_first_wards_list_approved_through_the_workflow(
        app, runner, client):
    from portal.audit.models import AuditEvent
    from portal.lists.models import ComplianceList, ListState

    assert _seed(runner, 3000).exit_code == 0
    with app.app_context():
        closed = db.session.scalars(select(Campaign).where(Campaign.closed_at.is_not(None))).one()
        accounts = {u.username: u for u in db.session.scalars(select(User))}
        [approved] = db.session.scalars(select(ComplianceList)).all()
        assert (approved.campaign_id, approved.commune_id, approved.version) == (
            closed.id, accounts["commune_lead"].unit_id, 1)
        assert approved.state is ListState.APPROVED
        assert approved.submitted_by_id == accounts["commune_lead"].id
        assert approved.reviewed_by_id == accounts["district_officer"].id
        steps = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "list").order_by(AuditEvent.id)).all()
        assert steps == ["list.submit", "list.approve"]
        # On it: the ward's adults of 2021 with no dose 2, as compile_list found them.
        assert len(approved.rows) > 50
        for row in approved.rows:
            resident = db.session.get(Resident, row.resident_id)
            assert resident.hamlet.parent_id == approved.commune_id
            assert resident.status is ResidentStatus.PRESENT
            assert not {d.kind for d in resident.doses} & {
                DoseKind.DOSE_2, DoseKind.ADDITIONAL, DoseKind.BOOSTER_1, DoseKind.BOOSTER_2}
            assert row.guardian_name is None  # adults all
        list_id, name = approved.id, approved.rows[0].full_name
    client.login("clerk")
    index = client.get(f"/lists?campaign={closed.id}").get_data(as_text=True)
    assert f'href="/lists/{list_id}"' in index
    assert name in client.get(f"/lists/{list_id}").get_data(as_text=True)


def test_the_demos_children_have_their_household_head_for_guardian(app, runner):
    from portal.residents.guardians import Guardian, guardian_of_minor

    assert _seed(runner, 3000).exit_code == 0
    with app.app_context():
        households = db.session.scalars(select(Household).options(
            selectinload(Household.residents))).all()
        children = 0
        for household in households:
            head = min(household.residents, key=lambda r: r.id)  # the head is made first
            assert head.full_name == household.head_name
            minors = [r for r in household.residents if r.birth_date > ADULT_BORN_BY]
            if not minors:
                assert household.guardian_name is household.guardian_phone is None
                continue
            assert (household.guardian_name, household.guardian_phone) == (
                head.full_name, head.phone)
            for child in minors:
                assert guardian_of_minor(child, REFERENCE_DAY) == Guardian(head.full_name,
                                                                           head.phone)
                children += 1
            assert guardian_of_minor(head, REFERENCE_DAY) is None
        assert children > 500
        with_phone = sum(1 for h in households if h.guardian_phone)
        assert with_phone > 0.7 * sum(1 for h in households if h.guardian_name)
