"""Correcting the register by hand: every field a commune lead may change, each kept with its
before and after and shown on the card; a screener corrects how to reach a person only; a bad
value is refused beside its field with nothing changed."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.extensions import db
from portal.residents.models import Household, RegisterChange, Resident, ResidentStatus
from portal.residents.search import search_residents

from helpers import field_error, unit


def _form(client, resident_id: int) -> dict:
    """The correction form as the page fills it: what a browser would send unchanged."""
    page = client.get(f"/residents/{resident_id}/edit").get_data(as_text=True)
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name:
            continue
        if kind and kind.group(1) in ("checkbox", "radio"):
            if re.search(r"\schecked", tag):
                fields[name.group(1)] = value.group(1) if value else "y"
        else:
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.DOTALL):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|'
                           r'<option[^>]*value="([^"]*)"[^>]*selected', options)
        if chosen:
            fields[name] = chosen.group(1) or chosen.group(2)
    return fields


@pytest.fixture
def lead(client, world):
    assert client.login("commune_lead").status_code == 302
    return client


def _changes(app, resident_id: int) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        return [(c.field, c.before, c.after) for c in db.session.scalars(
            select(RegisterChange).where(RegisterChange.resident_id == resident_id)
            .order_by(RegisterChange.id))]


@pytest.mark.parametrize("field, value, stored, shown", [
    ("full_name", "Nguyễn Văn  Đứt ", ("Nguyễn Văn Đức", "Nguyễn Văn Đứt"),
     "Họ và tên: Nguyễn Văn Đức → Nguyễn Văn Đứt"),
    ("birth_date", "1960-03-03", ("1960-03-02", "1960-03-03"),
     "Ngày sinh: 02/03/1960 → 03/03/1960"),
    ("phone", "0987 654 321", ("0912345678", "0987654321"),
     "Điện thoại: 0912345678 → 0987654321"),
    ("guardian_name", "Trần Thị Mơ", (None, "Trần Thị Mơ"),
     "Cha, mẹ hoặc người giám hộ: — → Trần Thị Mơ"),
    ("chronic_condition", None, ("1", "0"), "Bệnh nền: có → không"),
    ("immunocompromised", "y", ("0", "1"), "Suy giảm miễn dịch: không → có"),
    ("guardian_phone", "0901 234 567", (None, "0901234567"), "SĐT người giám hộ: — → 0901234567"),
])
def test_each_correction_is_kept_with_its_before_and_after_and_shown_on_the_card(
        app, lead, world, field, value, stored, shown):
    _corrected_and_shown(app, lead, world["duc"], field, value, stored, shown)


@pytest.mark.parametrize("field, value, stored, shown", [
    # Nam, 1990, no ID number: his sex, his number, a year of birth where the date is unknown.
    ("sex", "female", ("male", "female"), "Giới tính: Nam → Nữ"),
    ("id_number", "092090001234", (None, "092090001234"), "Số định danh: — → ••••••••1234"),
    ("pregnant", "y", ("0", "1"), "Đang mang thai: không → có"),
])
def test_each_correction_of_nams_record_is_kept(app, lead, world, field, value, stored, shown):
    extra = {"sex": "female"} if field == "pregnant" else {}
    _corrected_and_shown(app, lead, world["nam"], field, value, stored, shown, extra)


def test_a_birth_year_alone_replaces_an_unknown_date(app, lead, world):
    form = {**_form(lead, world["nam"]), "birth_date": "", "birth_year": "1991"}
    assert lead.post_form(f"/residents/{world['nam']}/edit", form).status_code == 302
    assert _changes(app, world["nam"]) == [("birth_date", "1990-01-20", None),
                                           ("birth_year", "1990", "1991")]


def _corrected_and_shown(app, lead, resident_id, field, value, stored, shown, extra=None):
    form = {**_form(lead, resident_id), **(extra or {})}
    if value is None:
        form.pop(field, None)
    else:
        form[field] = value
    answer = lead.post_form(f"/residents/{resident_id}/edit", form)
    assert answer.status_code == 302, field_error(answer.get_data(as_text=True), field)
    assert [c for c in _changes(app, resident_id) if c[0] == field] == [(field, *stored)]
    card = lead.get(f"/residents/{resident_id}").get_data(as_text=True)
    history = re.search(r'<section id="history".*?</section>', card, re.DOTALL).group(0)
    text = re.sub(r"<[^>]+>", "", history)
    assert shown in re.sub(r"\s+", " ", text)
    assert "Cán bộ commune_lead" in text
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "resident.correct"))
        assert field in event.after["fields"]
        assert stored[1] is None or stored[1] not in str(event.after)  # no value in the trail


def test_a_renamed_person_is_found_by_the_new_name(app, lead, world):
    form = {**_form(lead, world["nam"]), "full_name": "Trần Văn Năm"}
    assert lead.post_form(f"/residents/{world['nam']}/edit", form).status_code == 302
    with app.app_context():
        lead_user = db.session.scalar(select(User).where(User.username == "commune_lead"))
        found = search_residents(lead_user, "tran van nam")  # accents not needed
        assert [r.id for r in found] == [world["nam"]]
        assert db.session.get(Resident, world["nam"]).name_folded == "tran van nam"


def test_moving_a_person_to_another_household_and_hamlet(app, lead, world):
    with app.app_context():
        target = db.session.scalar(select(Household).where(Household.code == "HGĐ-0101"))
        hamlet, household = target.hamlet_id, target.id
    form = {**_form(lead, world["nam"]), "hamlet_id": str(hamlet), "household_code": "HGĐ-0101"}
    assert lead.post_form(f"/residents/{world['nam']}/edit", form).status_code == 302
    with app.app_context():
        nam = db.session.get(Resident, world["nam"])
        assert (nam.hamlet_id, nam.household_id) == (hamlet, household)
    assert [f for f, _, _ in _changes(app, world["nam"])] == ["hamlet_id", "household_id"]
    card = lead.get(f"/residents/{world['nam']}").get_data(as_text=True)
    assert "Khu vực 1 → Khu vực 2" in card or "→ Khu vực 2" in card
    assert "HGĐ-0002 · Số 2, đường Trần Phú → HGĐ-0101" in card


def test_a_household_that_is_not_in_the_hamlet_is_refused_beside_its_field(app, lead, world):
    form = {**_form(lead, world["nam"]), "household_code": "HGĐ-9999"}
    answer = lead.post_form(f"/residents/{world['nam']}/edit", form)
    assert answer.status_code == 422
    assert "Không có hộ HGĐ-9999" in field_error(answer.get_data(as_text=True), "household_code")
    assert _changes(app, world["nam"]) == []


def test_status_moved_away_with_its_day(app, lead, world):
    form = {**_form(lead, world["nam"]), "status": "moved_away", "status_since": "2026-11-20"}
    assert lead.post_form(f"/residents/{world['nam']}/edit", form).status_code == 302
    with app.app_context():
        nam = db.session.get(Resident, world["nam"])
        assert (nam.status, nam.status_since) == (ResidentStatus.MOVED_AWAY, date(2026, 11, 20))
    card = re.sub(r"<[^>]+>", "", lead.get(f"/residents/{world['nam']}").get_data(as_text=True))
    assert "Tình trạng: Đang sống tại địa phương → Đã chuyển đi" in re.sub(r"\s+", " ", card)
    assert "Tình trạng từ ngày: — → 20/11/2026" in re.sub(r"\s+", " ", card)


@pytest.mark.parametrize("field, value, message", [
    # Đức is a man born in 1960: his CCCD's 4th digit is 0, its 5th and 6th 60.
    ("id_number", "092061001234", "Chữ số thứ 5 và 6 của số CCCD này là 61, nhưng sinh năm 1960"),
    ("id_number", "092160001234", "Chữ số thứ 4 của số CCCD này là 1, nhưng với nam sinh năm 1960"),
    ("birth_date", "2030-01-01", "tương lai"),
    ("phone", "12345", "số di động"),
    ("pregnant", "y", "Chỉ người nữ"),
    ("status_since", "2099-01-01", "tương lai"),
])
def test_a_bad_value_is_refused_beside_its_field_and_nothing_changes(app, lead, world, field,
                                                                    value, message):
    with app.app_context():
        before = {c.name: getattr(db.session.get(Resident, world["duc"]), c.name)
                  for c in Resident.__table__.columns}
    form = {**_form(lead, world["duc"]), field: value, "full_name": "Nguyễn Văn Đứt"}
    answer = lead.post_form(f"/residents/{world['duc']}/edit", form)
    assert answer.status_code == 422
    assert message.lower() in field_error(answer.get_data(as_text=True), field).lower()
    with app.app_context():
        after = {c.name: getattr(db.session.get(Resident, world["duc"]), c.name)
                 for c in Resident.__table__.columns}
    assert after == before
    assert _changes(app, world["duc"]) == []


def test_an_id_number_held_by_another_person_is_refused(app, lead, world):
    with app.app_context():  # Khánh, of Bình Thủy, holds the number Nam's card would give
        db.session.get(Resident, world["khanh"]).id_number = "092090005555"
        db.session.commit()
    form = {**_form(lead, world["nam"]), "id_number": "092090005555"}
    answer = lead.post_form(f"/residents/{world['nam']}/edit", form)
    assert answer.status_code == 422
    assert "của một người khác" in field_error(answer.get_data(as_text=True), "id_number")
    assert _changes(app, world["nam"]) == []


def test_a_screener_corrects_how_to_reach_a_person_and_nothing_else(app, client, world):
    assert client.login("screener").status_code == 302
    page = client.get(f"/residents/{world['duc']}/edit").get_data(as_text=True)
    assert 'name="phone"' in page and 'name="birth_date"' not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(f"/residents/{world['duc']}/edit", data={
        "csrf_token": token, "phone": "0987654321", "household_address": "Số 10, đường Trần Phú",
        # Sent anyway: not the screener's to change.
        "birth_date": "1970-01-01", "full_name": "Ai Đó", "status": "deceased"})
    assert answer.status_code == 302
    with app.app_context():
        duc = db.session.get(Resident, world["duc"])
        assert (duc.phone, duc.birth_date, duc.full_name, duc.status) == (
            "0987654321", date(1960, 3, 2), "Nguyễn Văn Đức", ResidentStatus.PRESENT)
        assert duc.household.address == "Số 10, đường Trần Phú"
        household_changes = [(c.field, c.before, c.after) for c in db.session.scalars(
            select(RegisterChange).where(RegisterChange.household_id == duc.household_id))]
    assert household_changes == [("address", "Số 1, đường Trần Phú", "Số 10, đường Trần Phú")]
    assert _changes(app, world["duc"]) == [("phone", "0912345678", "0987654321")]
    # Lan lives in the same household: her card shows the address's history too.
    card = client.get(f"/residents/{world['lan']}").get_data(as_text=True)
    assert "Số 1, đường Trần Phú → Số 10, đường Trần Phú" in card


def test_nothing_changed_keeps_no_history(app, lead, world):
    answer = lead.post_form(f"/residents/{world['duc']}/edit", _form(lead, world["duc"]))
    assert answer.status_code == 302
    assert _changes(app, world["duc"]) == []
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "resident.correct")) is None


def test_opening_the_form_is_a_read_of_health_details(app, lead, world):
    lead.get(f"/residents/{world['duc']}/edit")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "resident.view"))
        assert event.object_id == str(world["duc"])


def test_correcting_a_birth_date_moves_the_person_into_the_campaigns_target(app, lead, world):
    # Bảo Anh, born 01/06/2015, is a child: the booster campaign for 18+ does not target her.
    with app.app_context():
        unit("31117-01")
    card = lead.get(f"/residents/{world['be']}").get_data(as_text=True)
    assert "Cần rà soát" not in card
    form = {**_form(lead, world["be"]), "birth_date": "1995-06-01"}
    assert lead.post_form(f"/residents/{world['be']}/edit", form).status_code == 302
    card = lead.get(f"/residents/{world['be']}").get_data(as_text=True)
    assert "Cần rà soát" in card
