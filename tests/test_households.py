"""Households as the commune keeps them (a new one, corrected, two made one, each with its
history) and a person handed over to another commune of the portal, who arrives there."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.auth.models import Role, User
from portal.extensions import db
from portal.residents.models import (
    Household, RegisterChange, Resident, ResidentHandover, ResidentStatus,
)
from portal.residents.search import search_residents

from helpers import unit


def _household(app, code: str) -> Household | None:
    with app.app_context():
        return db.session.scalar(select(Household).where(Household.code == code))


def test_a_household_corrected_keeps_its_history_on_its_page_and_its_members_cards(
        app, client, world):
    client.login("commune_lead")
    house = _household(app, "HGĐ-0001")
    answer = client.post_form(f"/households/{house.id}", {"address": "Số 11, đường Trần Phú",
                                                         "head_name": "Nguyễn Văn Đức"})
    assert answer.status_code == 302
    page = " ".join(client.get(f"/households/{house.id}").get_data(as_text=True).split())
    assert "Địa chỉ của hộ:</strong> Số 1, đường Trần Phú → Số 11, đường Trần Phú" in page
    assert "Chủ hộ:</strong> — → Nguyễn Văn Đức" in page
    card = client.get(f"/residents/{world['lan']}").get_data(as_text=True)
    assert "Số 1, đường Trần Phú → Số 11, đường Trần Phú" in card


def test_two_households_made_one_move_their_members_each_with_a_trace(app, client, world):
    client.login("commune_lead")
    first, second = _household(app, "HGĐ-0001"), _household(app, "HGĐ-0002")
    answer = client.post_form(f"/households/{first.id}", {"merge_code": "HGĐ-0002",
                                                         "address": first.address})
    assert answer.status_code == 302
    assert _household(app, "HGĐ-0002") is None
    with app.app_context():
        for key in ("nam", "be"):
            assert db.session.get(Resident, world[key]).household_id == first.id
            assert [(c.field, c.before, c.after) for c in db.session.scalars(
                select(RegisterChange).where(RegisterChange.resident_id == world[key]))] == [
                ("household_id", str(second.id), str(first.id))]
    page = client.get(f"/households/{first.id}").get_data(as_text=True)
    assert page.count('class="person-row"') == 4
    # A household of another hamlet, or none of that code: refused beside the field.
    answer = client.post_form(f"/households/{first.id}", {"merge_code": "HGĐ-0101",
                                                         "address": first.address})
    assert answer.status_code == 422
    assert "Không có hộ nào khác mã HGĐ-0101" in answer.get_data(as_text=True)


def test_a_person_moves_to_a_new_household(app, client, world):
    client.login("commune_lead")
    page = client.get(f"/residents/{world['nam']}/edit").get_data(as_text=True)
    hamlet = re.search(r'<option selected value="(\d+)"', page).group(1)
    form = {"full_name": "Trần Văn Nam", "sex": "male", "birth_date": "1990-01-20",
            "phone": "0387654321", "hamlet_id": hamlet, "status": "present",
            "new_household_address": "Số 40, đường Trần Phú"}
    assert client.post_form(f"/residents/{world['nam']}/edit", form).status_code == 302
    with app.app_context():
        nam = db.session.get(Resident, world["nam"])
        assert (nam.household.address, nam.household.head_name) == (
            "Số 40, đường Trần Phú", "Trần Văn Nam")
        assert nam.household.code == "HGĐ-0003"  # the hamlet's next code


@pytest.fixture
def lead_elsewhere(app, users):
    """The commune lead of Phường Bình Thủy (31183)."""
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.username == "commune_lead"))
        db.session.add(User(username="lead.31183", full_name="Cán bộ Bình Thủy",
                            password_hash=lead.password_hash, role=Role.COMMUNE_LEAD,
                            unit=unit("31183")))
        db.session.commit()


def test_a_person_handed_over_arrives_in_the_other_commune(app, client, world, lead_elsewhere):
    client.login("commune_lead")
    page = client.get(f"/residents/{world['nam']}/edit").get_data(as_text=True)
    bình_thủy = re.search(r'<option value="(\d+)">Phường Bình Thủy</option>', page).group(1)
    answer = client.post_form(f"/residents/{world['nam']}/hand-over",
                              {"commune_id": bình_thủy})
    assert answer.status_code == 302
    with app.app_context():
        nam = db.session.get(Resident, world["nam"])
        assert nam.status is ResidentStatus.MOVED_AWAY  # he left: off this commune's target
    client.post_form("/logout")

    client.login("lead.31183")
    page = client.get("/arrivals").get_data(as_text=True)
    assert "Trần Văn Nam" in page and "Từ Phường Cái Khế" in page
    assert client.get(f"/residents/{world['nam']}").status_code == 404  # not theirs yet
    with app.app_context():
        handover = db.session.scalar(select(ResidentHandover))
        hamlet = unit("31183-01")
    answer = client.post_form(f"/arrivals/{handover.id}", {
        "hamlet_id": str(hamlet.id), "new_household_address": "Số 5, đường Cách Mạng Tháng 8"})
    assert answer.status_code == 302
    card = client.get(f"/residents/{world['nam']}").get_data(as_text=True)
    assert "Đã chuyển đi → Đang sống tại địa phương" in " ".join(card.split()).replace(
        "<strong>", "").replace("</strong>", "")
    with app.app_context():
        nam = db.session.get(Resident, world["nam"])
        assert (nam.hamlet_id, nam.status) == (hamlet.id, ResidentStatus.PRESENT)
        lead = db.session.scalar(select(User).where(User.username == "lead.31183"))
        assert [r.id for r in search_residents(lead, "tran van nam")] == [world["nam"]]
    assert "Không có ai đang chuyển đến." in client.get("/arrivals").get_data(as_text=True)
    assert client.post_form(f"/arrivals/{handover.id}", {
        "hamlet_id": str(hamlet.id)}).status_code == 409
    client.post_form("/logout")
    client.login("commune_lead")
    assert client.get(f"/residents/{world['nam']}").status_code == 404  # he is theirs now
