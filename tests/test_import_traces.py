"""A register import keeps the trace of what it changes, field by field, and never overwrites a
correction made by hand without saying so: the report lists what it changed and the conflicts."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.imports.models import Import
from portal.residents.models import RegisterChange, Resident

from test_import_residents import _csv, _import

DUC = ["1", "Nguyễn Văn Đức", "02/03/1960", "Nam", "092060001234", "0987654321",
       "Số 1, đường Trần Phú", "Khu vực 1", "HGĐ-0001"]


def _sheets(client, import_id: int) -> dict[str, list[tuple]]:
    answer = client.get(f"/imports/{import_id}/report")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.data), read_only=True)
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets}


def _changes(app, resident_id: int) -> list[tuple[str, str, str | None, str | None]]:
    with app.app_context():
        return [(c.source, c.field, c.before, c.after) for c in db.session.scalars(
            select(RegisterChange).where(RegisterChange.resident_id == resident_id)
            .order_by(RegisterChange.id))]


def test_an_import_that_updates_a_person_keeps_each_field_with_its_before_and_after(
        app, client, world):
    client.login("commune_lead")
    import_id = _import(app, client, "so-ho.csv", _csv([DUC]))
    assert _changes(app, world["duc"]) == [("import", "phone", "0912345678", "0987654321")]
    with app.app_context():
        change = db.session.scalar(select(RegisterChange))
        assert change.import_id == import_id
    sheets = _sheets(client, import_id)
    assert sheets["Đã cập nhật"] == [("Dòng", "Họ và tên", "Thông tin", "Trước", "Sau"),
                                     (2, "Nguyễn Văn Đức", "Điện thoại", "0912345678",
                                      "0987654321")]
    card = client.get(f"/residents/{world['duc']}").get_data(as_text=True)
    assert "Điện thoại:</strong> 0912345678 → 0987654321" in card
    assert "Cán bộ commune_lead, khi nhập danh sách dân cư" in card
    # The same file again: nothing changes, nothing more is traced.
    again = _import(app, client, "so-ho.csv", _csv([DUC]))
    assert len(_changes(app, world["duc"])) == 1
    with app.app_context():
        assert db.session.get(Import, again).unchanged == 1


def test_a_correction_by_hand_is_not_overwritten_by_the_register_and_is_reported(
        app, client, world):
    client.login("commune_lead")
    # The lead corrects Đức's birth date by hand: the register has it wrong.
    page = client.get(f"/residents/{world['duc']}/edit").get_data(as_text=True)
    assert "Sửa thông tin" in page
    form = {"full_name": "Nguyễn Văn Đức", "sex": "male", "birth_date": "1960-03-03",
            "id_number": "092060001234", "phone": "0912345678", "hamlet_id": "",
            "household_code": "HGĐ-0001", "chronic_condition": "y", "status": "present"}
    with app.app_context():
        form["hamlet_id"] = str(db.session.get(Resident, world["duc"]).hamlet_id)
    assert client.post_form(f"/residents/{world['duc']}/edit", form).status_code == 302
    # The register, still with the old date, and a new phone.
    import_id = _import(app, client, "so-ho.csv", _csv([DUC]))
    with app.app_context():
        duc = db.session.get(Resident, world["duc"])
        assert (duc.birth_date, duc.phone) == (date(1960, 3, 3), "0987654321")
        upload = db.session.get(Import, import_id)
        assert (upload.updated, upload.conflicts) == (1, 1)
    assert _changes(app, world["duc"]) == [
        ("hand", "birth_date", "1960-03-02", "1960-03-03"),
        ("import", "phone", "0912345678", "0987654321")]
    conflicts = _sheets(client, import_id)["Đã sửa tay, chưa cập nhật"]
    assert conflicts[1][:6] == (2, "Nguyễn Văn Đức", "Ngày sinh", "03/03/1960", "02/03/1960",
                                "Cán bộ commune_lead")
    page = client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert "1 thông tin đã được sửa tay khác với sổ" in page
