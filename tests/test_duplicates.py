"""Likely duplicates in a commune's register, with their evidence; a merge that keeps every
visit, dose and change of both under the record kept, then its undo by an admin; a pair judged
to be two people, remembered."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.residents.models import (
    Dose, DoseKind, Household, RecordSource, RegisterChange, Resident, ResidentMerge, Sex,
)
from portal.residents.search import index_resident
from portal.text import fold
from portal.visits.models import Outcome, Visit

from helpers import unit


@pytest.fixture
def twins(app, world):
    """Đức entered twice (the second in Khu vực 2, with a visit and a dose of his own), and
    Nam twice in his household (the second with the phone and year, and an ID number)."""
    with app.app_context():
        hamlet2 = unit("31117-02")
        house = db.session.scalar(select(Household).where(Household.code == "HGĐ-0101"))
        nam = db.session.get(Resident, world["nam"])
        made = {}
        for key, hamlet, household, name, born, id_number, phone in (
                ("duc2", hamlet2, house.id, "Nguyễn Văn Đức", date(1960, 3, 2), None, None),
                ("nam2", unit("31117-01"), nam.household_id, "Trần Văn Nam", date(1990, 5, 5),
                 "092090001111", "0387654321")):
            twin = Resident(hamlet_id=hamlet.id, household_id=household, full_name=name,
                            name_folded=fold(name), birth_date=born, birth_year=born.year,
                            sex=Sex.MALE, id_number=id_number, phone=phone)
            db.session.add(twin)
            db.session.flush()
            index_resident(twin, hamlet.parent_id)
            made[key] = twin.id
        db.session.add(Dose(resident_id=made["duc2"], kind=DoseKind.BOOSTER_1, vaccine="Pfizer",
                            given_on=date(2022, 7, 1), source=RecordSource.PLATFORM))
        db.session.add(Visit(client_uuid="00000000-0000-4000-8000-0000000000d2",
                             campaign_id=world["campaign"], resident_id=made["duc2"],
                             outcome=Outcome.ABSENT))
        db.session.commit()
        return made


def _pairs(page: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r'id="pair-(\d+)-(\d+)"', page)]


def test_the_lead_sees_each_likely_duplicate_with_its_evidence(app, client, world, twins):
    client.login("commune_lead")
    page = client.get("/duplicates").get_data(as_text=True)
    assert _pairs(page) == [(world["duc"], twins["duc2"]), (world["nam"], twins["nam2"])]
    assert "Cùng họ tên, cùng ngày sinh" in page
    assert "Cùng hộ, số điện thoại và năm sinh" in page
    # Nguyễn Văn Đức of Bình Thủy is another commune's (and born another day): not here.
    assert f'/residents/{world["other"]}"' not in page


def test_a_merge_keeps_every_visit_and_dose_then_an_admin_undoes_it(app, client, world, twins):
    client.login("commune_lead")
    with app.app_context():
        before = {r: (db.session.scalar(select(func.count()).select_from(Visit)
                                        .where(Visit.resident_id == r)),
                      db.session.scalar(select(func.count()).select_from(Dose)
                                        .where(Dose.resident_id == r)))
                  for r in (world["nam"], twins["nam2"], world["duc"], twins["duc2"])}
    answer = client.post_form("/duplicates/merge", {"first_id": world["duc"],
                                                    "second_id": twins["duc2"], "keep": "first"})
    assert answer.status_code == 302
    answer = client.post_form("/duplicates/merge", {"first_id": world["nam"],
                                                    "second_id": twins["nam2"], "keep": "first"})
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get(Resident, twins["duc2"]) is None
        for survivor, gone in ((world["duc"], twins["duc2"]), (world["nam"], twins["nam2"])):
            visits = db.session.scalar(select(func.count()).select_from(Visit)
                                       .where(Visit.resident_id == survivor))
            doses = db.session.scalar(select(func.count()).select_from(Dose)
                                      .where(Dose.resident_id == survivor))
            assert (visits, doses) == (before[survivor][0] + before[gone][0],
                                       before[survivor][1] + before[gone][1])
        nam = db.session.get(Resident, world["nam"])
        assert nam.id_number == "092090001111"  # his twin's, his own was empty
        changes = [(c.source, c.field, c.before, c.after) for c in db.session.scalars(
            select(RegisterChange).where(RegisterChange.resident_id == world["nam"]))]
        assert changes == [("merge", "id_number", None, "092090001111")]
    # Đức now has his twin's booster: he is up to date.
    card = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    assert "Mũi nhắc lại lần 1" in card
    assert _pairs(client.get("/duplicates").get_data(as_text=True)) == []

    client.post_form("/logout")
    client.login("admin")
    page = client.get("/merges").get_data(as_text=True)
    undo = re.findall(r'action="(/merges/\d+/undo)"', page)
    assert len(undo) == 2
    for action in undo:
        assert client.post_form(action).status_code == 302
    with app.app_context():
        for resident_id in before:
            resident = db.session.get(Resident, resident_id)
            assert resident is not None
            visits = db.session.scalar(select(func.count()).select_from(Visit)
                                       .where(Visit.resident_id == resident_id))
            doses = db.session.scalar(select(func.count()).select_from(Dose)
                                      .where(Dose.resident_id == resident_id))
            assert (visits, doses) == before[resident_id]
        assert db.session.get(Resident, world["nam"]).id_number is None
        assert db.session.get(Resident, twins["nam2"]).id_number == "092090001111"
        assert all(m.undone_at for m in db.session.scalars(select(ResidentMerge)))
    # Undone twice: refused.
    assert client.post_form(undo[0]).status_code == 409


def test_two_different_people_are_not_offered_again(app, client, world, twins):
    client.login("commune_lead")
    answer = client.post_form("/duplicates/dismiss", {"first_id": twins["nam2"],
                                                      "second_id": world["nam"]})
    assert answer.status_code == 302
    page = client.get("/duplicates").get_data(as_text=True)
    assert _pairs(page) == [(world["duc"], twins["duc2"])]
    with app.app_context():
        assert db.session.get(Resident, twins["nam2"]) is not None


def test_a_pair_across_communes_is_refused(app, client, world, twins):
    client.login("admin")  # an admin sees both communes, but cannot merge (no permission)
    assert client.post_form("/duplicates/merge", {"first_id": world["duc"],
                                                  "second_id": world["other"],
                                                  "keep": "first"}).status_code == 403
