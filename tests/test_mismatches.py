"""The identities a commune sends to its police to check: an ID number whose digits disagree
with the birth year or sex, an ID number the platform gives to someone else, no ID number from
14; on screen, in Excel and as the official PDF, with the whole numbers the police check."""

from __future__ import annotations

import io
from pathlib import Path
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.imports.models import Import, ImportKind, ImportState, UnmatchedDose
from portal.residents.models import RegisterChange, Resident

from helpers import unit


@pytest.fixture
def checks(app, world):
    """Lan's number says born in 1964 (she was born in 1963); the platform gives Đức's number
    to a Nguyễn Văn Được born in 1970; Nam, 36, has no number (Bảo Anh, 11, needs none)."""
    with app.app_context():
        db.session.get(Resident, world["lan"]).id_number = "092164004321"
        commune = unit("31117")
        upload = Import(kind=ImportKind.DOSES, commune_id=commune.id, filename="nen-tang.csv",
                        sha256="0" * 64, size=1, headers=[], sample=[], state=ImportState.DONE)
        db.session.add(upload)
        db.session.flush()
        db.session.add(UnmatchedDose(import_id=upload.id, commune_id=commune.id, line=2,
                                     full_name="Nguyễn Văn Được", birth_date=date(1970, 1, 1),
                                     id_number="092060001234", kind="dose_1", vaccine="Pfizer"))
        db.session.commit()


def test_the_three_kinds_are_listed_with_what_disagrees(app, client, world, checks):
    client.login("commune_lead")
    page = client.get("/mismatches").get_data(as_text=True)
    text = " ".join(page.split())
    assert "Chữ số thứ 5 và 6 của số CCCD này là 64, nhưng sinh năm 1963" in text
    assert "Nền tảng tiêm chủng ghi số này cho Nguyễn Văn Được, sinh 01/01/1970." in text
    assert "Chưa có số định danh trong sổ." in text
    names = [n for n in ("Nguyễn Thị Lan", "Nguyễn Văn Đức", "Trần Văn Nam", "Lê Thị Hoa",
                         "Trần Ngọc Bảo Anh") if f"<strong>{n}</strong>" in page]
    assert names == ["Nguyễn Thị Lan", "Nguyễn Văn Đức", "Trần Văn Nam"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mismatches.view"))
        assert event.after["people"] == 3


def test_the_list_for_the_police_in_excel_and_pdf_holds_the_whole_numbers(app, client, world,
                                                                          checks):
    client.login("commune_lead")
    answer = client.get("/mismatches.xlsx")
    assert answer.status_code == 200
    rows = list(load_workbook(io.BytesIO(answer.data), read_only=True).active.iter_rows(
        values_only=True))
    assert [(r[2], r[5], r[7]) for r in rows[1:]] == [
        ("Nguyễn Thị Lan", "092164004321", "Số định danh không khớp năm sinh hoặc giới tính"),
        ("Nguyễn Văn Đức", "092060001234", "Số định danh được ghi cho người khác"),
        ("Trần Văn Nam", None, "Chưa có số định danh")]
    answer = client.get("/mismatches.pdf")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
    Path("/tmp/tungnha-police-list.pdf").write_bytes(answer.data)
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(answer.data)).pages).split())
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "DANH SÁCH", "092164004321",
                     "Nguyễn Văn Được", "Công an Phường Cái Khế"):
        assert expected in text, expected


def test_in_english_the_screen_changes_and_the_document_does_not(app, client, world, checks):
    client.login("commune_lead")
    with client.session_transaction() as session:
        session["locale"] = "en"
    page = client.get("/mismatches").get_data(as_text=True)
    assert "No ID number in the register." in page
    rows = list(load_workbook(io.BytesIO(client.get("/mismatches.xlsx").data),
                              read_only=True).active.iter_rows(values_only=True))
    assert rows[3][8] == "Chưa có số định danh trong sổ."


def test_the_polices_answer_is_applied_with_its_history(app, client, world, checks):
    client.login("commune_lead")
    book = load_workbook(io.BytesIO(client.get("/mismatches.xlsx").data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    column = {name: header.index(name) + 1 for name in header}
    lines = {sheet.cell(row, 3).value: row for row in range(2, sheet.max_row + 1)}
    # Lan was born in 1964, as her card says; Nam's CCCD is 092090003333; Đức's is right.
    sheet.cell(lines["Nguyễn Thị Lan"], column["Ngày sinh đúng"], "09/05/1964")
    sheet.cell(lines["Trần Văn Nam"], column["Số CCCD/CMND đúng"], "092090003333")
    # A row whose record code was changed to someone of another commune: refused.
    forged = sheet.max_row + 1
    for n, value in enumerate([c.value for c in sheet[lines["Nguyễn Văn Đức"]]], start=1):
        sheet.cell(forged, n, value)
    sheet.cell(forged, column["Mã hồ sơ (không sửa)"], world["other"])
    sheet.cell(forged, column["Họ và tên đúng"], "Ai Đó")
    out = io.BytesIO()
    book.save(out)
    page = client.post_form("/mismatches", {"file": (io.BytesIO(out.getvalue()), "tra-loi.xlsx")},
                            content_type="multipart/form-data").get_data(as_text=True)
    assert "2 người đã được sửa, 1 người giữ nguyên, 1 dòng bị từ chối." in page
    assert "mã hồ sơ đã bị sửa" in page
    with app.app_context():
        lan = db.session.get(Resident, world["lan"])
        assert (lan.birth_date, lan.birth_year) == (date(1964, 5, 9), 1964)
        assert db.session.get(Resident, world["nam"]).id_number == "092090003333"
        assert db.session.get(Resident, world["other"]).full_name == "Nguyễn Văn Đức"
        changes = [(c.resident_id, c.source, c.field, c.before, c.after) for c in
                   db.session.scalars(select(RegisterChange).order_by(RegisterChange.id))]
    assert changes == [(world["lan"], "police", "birth_date", "1963-05-09", "1964-05-09"),
                       (world["lan"], "police", "birth_year", "1963", "1964"),
                       (world["nam"], "police", "id_number", None, "092090003333")]
    names = [n for n in ("Nguyễn Thị Lan", "Nguyễn Văn Đức", "Trần Văn Nam")
             if f"<strong>{n}</strong>" in page]
    assert names == ["Nguyễn Văn Đức"]  # what is left to check
    card = client.get(f"/residents/{world['lan']}").get_data(as_text=True)
    assert "theo trả lời của công an" in card


def test_a_file_that_is_not_the_list_is_refused_beside_the_field(app, client, world, checks):
    client.login("commune_lead")
    answer = client.post_form("/mismatches", {"file": (io.BytesIO(
        "Họ và tên,Ngày sinh\r\nAi,1990\r\n".encode()), "khac.csv")},
        content_type="multipart/form-data")
    assert answer.status_code == 422
    assert "không phải danh sách đối chiếu" in answer.get_data(as_text=True)
