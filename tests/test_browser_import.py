"""A commune lead imports the register on a phone: upload, check the columns, follow, read."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.residents.models import Resident
from test_import_residents import ROWS, _csv  # pytest puts tests/ on the path

from helpers import log_in


def test_a_commune_lead_imports_a_register_from_the_phone(app, phone, live_server, world, tmp_path):
    problems: list[str] = []
    phone.on("pageerror", lambda error: problems.append(str(error)))
    phone.on("console", lambda message: problems.append(message.text)
             if message.type == "error" else None)
    register = tmp_path / "so-nhan-khau.csv"
    register.write_bytes(_csv(ROWS))

    log_in(phone, live_server, "commune_lead", touch=True, home=True)
    phone.tap("nav >> text=Nhập dữ liệu")
    phone.set_input_files("#file", str(register))
    phone.tap("button:has-text('Tải lên')")

    # The columns were recognised from their usual headers; the first rows are shown.
    expect(phone.locator("#map-full_name")).to_have_value("1")
    expect(phone.locator("#map-hamlet")).to_have_value("7")
    expect(phone.locator("table.preview")).to_contain_text("Phạm Thị Hường")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # the table scrolls inside
    phone.tap("button:has-text('Nhập 10 dòng')")

    expect(phone.locator("#outcome")).to_contain_text("Đã nhập", timeout=30_000)
    expect(phone.locator("#outcome")).to_contain_text("Bị từ chối")
    with phone.expect_download() as report:
        phone.tap("text=Tải báo cáo: dòng không nhập được")
    assert report.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(report.value.path()).read_bytes()), read_only=True)
    # The refused rows, and Nguyễn Văn Đức's new phone number, field by field.
    assert book.sheetnames == ["Dòng không nhập được", "Đã cập nhật"]
    with app.app_context():
        assert db.session.scalar(select(Resident).where(Resident.full_name == "Phạm Thị Hường"))
    assert problems == []
