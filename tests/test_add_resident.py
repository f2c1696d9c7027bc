"""Adding a resident the register missed: validated, warned about duplicates, findable."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy import func, select

from portal.extensions import db
from portal.residents.models import Household, Resident
from portal.units.models import AdministrativeUnit

from helpers import HX


def _hamlet(app, code="31117-01"):
    with app.app_context():
        return db.session.scalar(select(AdministrativeUnit.id).where(AdministrativeUnit.code == code))


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Resident))


def _form(**overrides):
    data = {"full_name": "Phạm Thị Mai", "sex": "female", "birth_date": "1985-04-12",
            "id_number": "092185123456", "phone": "+84 912 000 111", "household_id": "",
            "new_household_address": "Số 9, hẻm 12, đường Trần Phú"}
    data.update(overrides)
    return data


def test_a_new_resident_is_added_with_a_new_household_and_can_be_found(app, client, world):
    client.login("screener")
    hamlet = _hamlet(app)
    assert client.get(f"/hamlets/{hamlet}/residents/new").status_code == 200
    response = client.post_form(f"/hamlets/{hamlet}/residents/new", _form())
    assert response.status_code == 302
    with app.app_context():
        mai = db.session.scalars(select(Resident).where(Resident.full_name == "Phạm Thị Mai")).one()
        assert (mai.phone, mai.id_number, mai.source.value) == ("0912000111", "092185123456", "screening")
        assert db.session.get(Household, mai.household_id).address == "Số 9, hẻm 12, đường Trần Phú"
    html = client.get("/residents/search?q=pham thi mai", headers=HX).get_data(as_text=True)
    assert "Phạm Thị Mai" in html


def test_bad_fields_come_back_422_with_vietnamese_messages_and_nothing_saved(app, client, world):
    client.login("screener")
    before = _count(app)
    response = client.post_form(f"/hamlets/{_hamlet(app)}/residents/new", _form(
        full_name="", birth_date="2999-01-01", id_number="092185", phone="0281234567",
    ), headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Vui lòng nhập họ và tên." in html
    assert "Ngày sinh không thể ở tương lai." in html
    assert "Số định danh gồm 12 chữ số (CCCD) hoặc 9 chữ số (CMND)." in html
    assert "Vui lòng nhập số di động Việt Nam" in html
    assert 'value="Số 9, hẻm 12, đường Trần Phú"' in html  # nothing typed is lost
    assert _count(app) == before


def test_an_id_number_already_registered_is_refused(app, client, world):
    client.login("screener")
    response = client.post_form(f"/hamlets/{_hamlet(app)}/residents/new",
                                _form(full_name="Nguyễn Văn Đức", birth_date="1960-03-02",
                                      sex="male", id_number="092060001234"))
    assert response.status_code == 422
    assert "Số định danh này đã có trong danh sách" in response.get_data(as_text=True)


def test_a_likely_duplicate_is_warned_about_and_added_only_when_confirmed(app, client, world):
    client.login("screener")
    hamlet = _hamlet(app)
    twin = _form(full_name="nguyen van  duc", sex="male", birth_date="", birth_year="1961",
                 id_number="", phone="")
    before = _count(app)
    warned = client.post_form(f"/hamlets/{hamlet}/residents/new", twin, headers=HX)
    assert warned.status_code == 422
    assert "Có thể người này đã có trong danh sách" in warned.get_data(as_text=True)
    assert _count(app) == before
    added = client.post_form(f"/hamlets/{hamlet}/residents/new", {**twin, "confirm_duplicate": "y"},
                             headers=HX)
    assert added.status_code == 200
    assert added.headers["HX-Location"].startswith("/residents/")
    assert _count(app) == before + 1


def test_residents_cannot_be_added_outside_the_users_scope(app, client, world):
    client.login("screener")
    assert client.post_form(f"/hamlets/{_hamlet(app, '31183-01')}/residents/new",
                            _form()).status_code == 404
    client.post_form("/logout")
    client.login("clerk")
    assert client.get(f"/hamlets/{_hamlet(app)}/residents/new").status_code == 403


@time_machine.travel(datetime(2022, 7, 15, 3, tzinfo=UTC), tick=True)  # the card: a minor today
def test_a_child_is_added_with_a_guardian_of_its_own(app, client, world):
    client.login("screener")
    response = client.post_form(f"/hamlets/{_hamlet(app)}/residents/new", _form(
        full_name="Phạm Gia Bảo", sex="male", birth_date="2016-02-03", id_number="", phone="",
        guardian_name="  Phạm   Thị Mai ", guardian_phone="+84 912 000 111"))
    assert response.status_code == 302
    with app.app_context():
        bao = db.session.scalars(select(Resident).where(Resident.full_name == "Phạm Gia Bảo")).one()
        assert (bao.guardian_name, bao.guardian_phone) == ("Phạm Thị Mai", "0912000111")
    card = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cha, mẹ hoặc người giám hộ" in card and "Phạm Thị Mai" in card


def test_a_bad_guardian_phone_is_refused_beside_its_field(app, client, world):
    client.login("screener")
    before = _count(app)
    response = client.post_form(f"/hamlets/{_hamlet(app)}/residents/new", _form(
        full_name="Phạm Gia Bảo", sex="male", birth_date="2016-02-03", id_number="", phone="",
        guardian_name="Phạm Thị Mai", guardian_phone="0281234567"), headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = html.split('id="guardian_phone-error"', 1)[1].split("</p>", 1)[0]
    assert "Vui lòng nhập số di động Việt Nam" in error
    assert 'value="Phạm Thị Mai"' in html  # nothing typed is lost
    assert _count(app) == before
