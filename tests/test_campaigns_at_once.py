"""Several campaigns open at once: one knock screens a person for each, figures by campaign."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpers import HX, uuid_for
from portal.auth.models import User
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.models import DoseKind, Resident
from portal.timeutil import today_local, utcnow
from portal.visits.models import Outcome, Visit
from portal.visits.outcomes import Standing
from portal.visits.standings import standings_in

TODAY = today_local()


@pytest.fixture
def campaigns(app, world):
    """The world's booster 1 campaign (18+), booster 2 for 50+ after booster 1, and the
    children's dose 1 (5 to under 12); the booster 2 campaign has the nearest deadline."""
    with app.app_context():
        booster_1 = db.session.get(Campaign, world["campaign"])
        booster_1.deadline = TODAY + timedelta(days=30)
        common = dict(unit_id=booster_1.unit_id, age_reference_date=booster_1.age_reference_date,
                      starts_on=booster_1.starts_on)
        booster_2 = Campaign(name="Mũi nhắc lại lần 2 cho người từ 50 tuổi", min_age=50,
                             required_dose=DoseKind.BOOSTER_2,
                             prior_doses=["dose_1", "dose_2", "booster_1"],
                             min_interval_days=120, deadline=TODAY + timedelta(days=10), **common)
        children = Campaign(name="Mũi 1 cho trẻ từ 5 đến dưới 12 tuổi", min_age=5, max_age=12,
                            required_dose=DoseKind.DOSE_1, deadline=TODAY - timedelta(days=3),
                            **common)
        db.session.add_all([booster_2, children])
        db.session.commit()
        return {"booster_1": booster_1.id, "booster_2": booster_2.id, "children": children.id}


def _standings(app, resident_id) -> dict[int, Standing]:
    with app.app_context():
        resident = db.session.get(Resident, resident_id)
        campaigns = db.session.scalars(select(Campaign).where(Campaign.is_open)).all()
        return {s.campaign.id: s.standing for s in standings_in(campaigns, [resident], TODAY)[
            resident.id]}


def _visits(app, resident_id=None) -> list[Visit]:
    with app.app_context():
        statement = select(Visit).order_by(Visit.id)
        if resident_id is not None:
            statement = statement.where(Visit.resident_id == resident_id)
        return db.session.scalars(statement).all()


def test_the_card_shows_every_campaign_that_targets_the_person(client, world, campaigns):
    client.login("screener")
    duc = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    assert "Mũi nhắc lại lần 1" in duc and "Mũi nhắc lại lần 2 cho người từ 50 tuổi" in duc
    assert "Mũi 1 cho trẻ" not in duc  # a man of 62 is no child
    child = client.get(f"/residents/{world['be']}").get_data(as_text=True)
    assert "Mũi 1 cho trẻ từ 5 đến dưới 12 tuổi" in child and "50 tuổi" not in child


def test_the_card_says_a_childs_age_on_the_campaigns_reference_day_when_it_differs(
        app, client, world, campaigns):
    """Targets count ages on the reference day: a child of 12 today who was 11 then is in the
    "5 to under 12" campaign, and the card says why."""
    with app.app_context():
        campaign = db.session.get(Campaign, campaigns["children"])
        reference = TODAY - timedelta(days=60)
        campaign.age_reference_date = reference
        child = db.session.get(Resident, world["be"])
        child.birth_date = TODAY.replace(year=TODAY.year - 12) - timedelta(days=30)
        child.birth_year = child.birth_date.year
        db.session.commit()
    client.login("screener")
    card = client.get(f"/residents/{world['be']}").get_data(as_text=True)
    assert "12 tuổi" in card and "Mũi 1 cho trẻ từ 5 đến dưới 12 tuổi" in card
    assert f"11 tuổi vào ngày {reference.strftime('%d/%m/%Y')}" in card
    with app.app_context():
        db.session.get(Campaign, campaigns["children"]).age_reference_date = TODAY
        child = db.session.get(Resident, world["be"])
        child.birth_date = TODAY.replace(year=TODAY.year - 8)
        db.session.commit()
    card = client.get(f"/residents/{world['be']}").get_data(as_text=True)
    assert "8 tuổi" in card and "tuổi vào ngày" not in card  # the same age then and now


def test_one_refusal_is_recorded_for_each_campaign_that_needs_it(app, client, world, campaigns):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    response = client.post_form(f"/residents/{world['duc']}/visits", {
        "outcome": "refused", "client_uuid": uuid_for(page, "refused"),
        "campaign_ids": f"{campaigns['booster_2']},{campaigns['booster_1']}",
        "refusal_reason": "side_effects", "note": "Sợ sốt"}, headers=HX)
    assert response.status_code == 200
    visits = _visits(app, world["duc"])
    assert {v.campaign_id for v in visits} == {campaigns["booster_1"], campaigns["booster_2"]}
    assert {v.outcome for v in visits} == {Outcome.REFUSED}
    assert len({v.client_uuid for v in visits}) == 1  # one knock
    standings = _standings(app, world["duc"])
    assert standings[campaigns["booster_1"]] is Standing.REFUSED
    assert standings[campaigns["booster_2"]] is Standing.REFUSED
    assert standings[campaigns["children"]] is Standing.NOT_TARGETED


def test_one_knock_records_a_different_outcome_for_each_campaign(app, client, world, campaigns):
    """Willing for booster 1; a deferral for booster 2, its details asked once."""
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    key = uuid_for(page, "per_campaign")
    until = TODAY + timedelta(days=40)
    form = {
        "outcome": "per_campaign", "client_uuid": key,
        "campaign_ids": f"{campaigns['booster_2']},{campaigns['booster_1']}",
        f"outcome_{campaigns['booster_1']}": "willing",
        f"outcome_{campaigns['booster_2']}": "contraindicated",
        "screening_category": "deferral", "deferred_until": until.isoformat(),
        "reason": "Mắc COVID-19 tháng trước",
    }
    assert client.post_form(f"/residents/{world['duc']}/visits", form,
                            headers=HX).status_code == 200
    by_campaign = {v.campaign_id: v for v in _visits(app, world["duc"])}
    willing, deferred = by_campaign[campaigns["booster_1"]], by_campaign[campaigns["booster_2"]]
    assert willing.outcome is Outcome.WILLING and willing.deferred_until is None
    assert willing.reason is None  # a willing visit keeps no medical reason
    assert (deferred.outcome, deferred.deferred_until) == (Outcome.CONTRAINDICATED, until)
    standings = _standings(app, world["duc"])
    assert standings[campaigns["booster_1"]] is Standing.WILLING
    assert standings[campaigns["booster_2"]] is Standing.DEFERRED

    # The same form again (a retry) saves nothing more; the undo takes back the whole knock.
    client.post_form(f"/residents/{world['duc']}/visits", form, headers=HX)
    assert len(_visits(app, world["duc"])) == 2
    assert client.post_form(f"/visits/{willing.id}/undo", {}, headers=HX).status_code == 200
    assert all(v.undone_at is not None for v in _visits(app, world["duc"]))
    standings = _standings(app, world["duc"])
    assert standings[campaigns["booster_1"]] is Standing.TO_VISIT
    assert standings[campaigns["booster_2"]] is Standing.TO_VISIT


def test_a_campaign_left_without_an_outcome_comes_back_beside_it(app, client, world, campaigns):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    response = client.post_form(f"/residents/{world['duc']}/visits", {
        "outcome": "per_campaign", "client_uuid": uuid_for(page, "per_campaign"),
        "campaign_ids": f"{campaigns['booster_2']},{campaigns['booster_1']}",
        f"outcome_{campaigns['booster_1']}": "willing"}, headers=HX)
    assert response.status_code == 422
    assert 'id="outcome-%s" name="outcome_%s" aria-invalid="true"' % (
        campaigns["booster_2"], campaigns["booster_2"]) in response.get_data(as_text=True)
    assert _visits(app) == []


def test_nobody_at_home_records_absent_for_each_member_who_needed_a_visit(
        app, client, world, campaigns):
    """Household HGĐ-0001: Đức's booster 1 deferral stays; his booster 2 and Lan's do not."""
    with app.app_context():
        screener = db.session.scalar(select(User).where(User.username == "screener"))
        db.session.add(Visit(client_uuid="00000000-0000-4000-8000-000000000001",
                             campaign_id=campaigns["booster_1"], resident_id=world["duc"],
                             user_id=screener.id, outcome=Outcome.CONTRAINDICATED,
                             screening_category="deferral", deferred_until=TODAY + timedelta(9),
                             reason="Sốt", visited_at=utcnow()))
        db.session.commit()
        household_id = db.session.get(Resident, world["duc"]).household_id
    client.login("screener")
    hamlet = db_hamlet_of(app, world["duc"])
    page = client.get(f"/walk/{hamlet}").get_data(as_text=True)
    form = re.search(r'action="/households/%s/absent".*?</form>' % household_id, page, re.S)
    assert form, "the household offers 'nobody at home'"
    key = re.search(r'name="client_uuid" value="([^"]+)"', form.group(0)).group(1)
    answer = client.post_form(f"/households/{household_id}/absent", {"client_uuid": key},
                              headers=HX)
    assert answer.status_code == 200 and f'id="household-{household_id}"' in answer.get_data(
        as_text=True)
    client.post_form(f"/households/{household_id}/absent", {"client_uuid": key}, headers=HX)
    recorded = [v for v in _visits(app) if v.outcome is Outcome.ABSENT]
    assert {(v.resident_id, v.campaign_id) for v in recorded} == {
        (world["duc"], campaigns["booster_2"]), (world["lan"], campaigns["booster_2"])}
    duc = _standings(app, world["duc"])
    assert duc[campaigns["booster_1"]] is Standing.DEFERRED  # the deferral was not overwritten
    assert duc[campaigns["booster_2"]] is Standing.ABSENT
    lan = _standings(app, world["lan"])
    assert lan[campaigns["booster_1"]] is Standing.UP_TO_DATE


def db_hamlet_of(app, resident_id) -> int:
    with app.app_context():
        return db.session.get(Resident, resident_id).hamlet_id


def test_the_walk_shows_what_each_person_still_needs_in_each_campaign(client, world, campaigns):
    client.login("screener")
    page = client.get(f"/walk/{db_hamlet_of(client.application, world['duc'])}").get_data(
        as_text=True)
    duc = page.split("Nguyễn Văn Đức")[1].split("</li>")[0]
    assert "18+" in duc and "50+" in duc  # booster 1, and booster 2 of the 50+ campaign
    child = page.split("Trần Ngọc Bảo Anh")[1].split("</li>")[0]
    assert "5–&lt;12" in child


def test_the_user_chooses_the_campaign_and_it_is_remembered(app, client, world, campaigns):
    client.login("commune_lead")
    home = client.get("/").get_data(as_text=True)
    chosen = re.search(r'<section class="campaign" id="campaign">\s*<p><strong>([^<]+)', home)
    assert chosen.group(1) == "Mũi nhắc lại lần 2 cho người từ 50 tuổi"  # the nearest deadline
    assert "còn 10 ngày" in home
    response = client.post_form("/campaign", {"campaign": campaigns["children"], "next": "/walk"})
    assert response.headers["Location"] == "/walk"
    client.post_form("/logout")
    client.login("commune_lead")
    home = client.get("/").get_data(as_text=True)
    assert re.search(r"<strong>Mũi 1 cho trẻ", home) and "quá hạn 3 ngày" in home
    # A campaign that is not one of the user's is not taken.
    client.post_form("/campaign", {"campaign": 987654})
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.username == "commune_lead"))
        assert lead.campaign_id == campaigns["children"]


def test_a_closed_campaign_leaves_the_card_and_the_walk(app, client, world, campaigns):
    with app.app_context():
        db.session.get(Campaign, campaigns["booster_2"]).closed_at = utcnow()
        db.session.commit()
    client.login("screener")
    card = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    assert "Mũi nhắc lại lần 2 cho người từ 50 tuổi" not in card


def test_hamlets_come_in_their_natural_order(app, client, users):
    from portal.units.models import AdministrativeUnit, UnitLevel, create_unit

    with app.app_context():
        commune = db.session.scalar(select(AdministrativeUnit).where(
            AdministrativeUnit.code == "31117"))
        for number in (10, 3, 12):
            create_unit(code=f"31117-{number}", name=f"Khu vực {number}", kind="Khu vực",
                        level=UnitLevel.HAMLET, parent=commune)
        db.session.commit()
    client.login("screener")
    page = client.get("/walk").get_data(as_text=True)
    names = re.findall(r"<strong>(Khu vực \d+)</strong>", page)
    assert names == ["Khu vực 1", "Khu vực 2", "Khu vực 3", "Khu vực 10", "Khu vực 12"]


def test_a_person_lacking_an_earlier_dose_needs_that_one_first(app, world, campaigns):
    """Đức has doses 1 and 2: for the booster 2 campaign he needs booster 1 first."""
    with app.app_context():
        duc = db.session.get(Resident, world["duc"])
        campaigns_ = {c.id: c for c in db.session.scalars(select(Campaign))}
        needs = {s.campaign.id: s.next_dose for s in standings_in(
            list(campaigns_.values()), [duc], TODAY)[duc.id]}
    assert needs[campaigns["booster_1"]] is DoseKind.BOOSTER_1
    assert needs[campaigns["booster_2"]] is DoseKind.BOOSTER_1


def test_the_counts_by_standing_are_the_standings_of_each_person(app, world, campaigns):
    """standing_counts groups in the database by what a standing is made of; it must give, per
    hamlet, exactly the standings the walk computes person by person."""
    from collections import Counter

    from portal.visits.progress import standing_counts

    histories = [  # (resident, campaign, outcome, details, undone)
        ("duc", "booster_1", Outcome.CONTRAINDICATED,
         {"screening_category": "deferral", "deferred_until": TODAY + timedelta(5)}, False),
        ("duc", "booster_2", Outcome.CONTRAINDICATED,
         {"screening_category": "deferral", "deferred_until": TODAY - timedelta(5)}, False),
        ("nam", "booster_1", Outcome.REFUSED, {"refusal_reason": "family"}, False),
        ("nam", "booster_1", Outcome.WILLING, {}, True),  # undone: the refusal counts
        ("hoa", "booster_1", Outcome.CONTRAINDICATED, {"screening_category": "caution"}, False),
        ("be", "children", Outcome.HOSPITALISED, {}, False),
        ("lan", "booster_2", Outcome.HOMEBOUND, {}, False),
        ("khanh", "booster_1", Outcome.CONTRAINDICATED,
         {"screening_category": "contraindication"}, False),
    ]
    with app.app_context():
        screener = db.session.scalar(select(User).where(User.username == "screener"))
        for number, (key, campaign, outcome, details, undone) in enumerate(histories):
            db.session.add(Visit(client_uuid=f"00000000-0000-4000-8000-{number:012d}",
                                 campaign_id=campaigns[campaign], resident_id=world[key],
                                 user_id=screener.id, outcome=outcome, visited_at=utcnow(),
                                 undone_at=utcnow() if undone else None, **details))
        db.session.commit()
        residents = db.session.scalars(select(Resident)).all()
        hamlets = sorted({r.hamlet_id for r in residents})
        for campaign in db.session.scalars(select(Campaign)).all():
            person_by_person = {}
            for resident in residents:
                current = standings_in([campaign], [resident], TODAY)[resident.id][0].standing
                if current not in (Standing.NOT_TARGETED, Standing.LEFT):
                    person_by_person.setdefault(resident.hamlet_id, Counter())[current] += 1
            counted = {hamlet: tally for hamlet, (tally, _) in
                       standing_counts(campaign, hamlets, TODAY).items()}
            assert counted == person_by_person, campaign.name


def test_a_knock_for_campaigns_that_closed_meanwhile_says_so_and_saves_nothing(
        app, client, world, campaigns):
    client.login("screener")
    page = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    key = uuid_for(page, "absent")
    with app.app_context():
        for campaign in db.session.scalars(select(Campaign)):
            campaign.closed_at = utcnow()
        db.session.commit()
    answer = client.post_form(f"/residents/{world['duc']}/visits", {
        "outcome": "absent", "client_uuid": key}, headers=HX)
    assert answer.status_code == 422
    assert "Không còn gì để ghi cho người này" in answer.get_data(as_text=True)
    assert _visits(app) == []
