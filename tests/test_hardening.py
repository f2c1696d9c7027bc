"""Hardening that no single screen shows: production settings, CSRF on every write, exports."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.exports import spreadsheet_safe


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("TUNGNHA_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_to_start_with_debug_on(monkeypatch, tmp_path):
    monkeypatch.setenv("TUNGNHA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-secret-for-this-test")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    with pytest.raises(RuntimeError, match="Debug"):
        create_app()


def test_production_marks_the_session_cookie_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("TUNGNHA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-secret-for-this-test")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]


def test_every_state_changing_route_refuses_a_request_without_its_csrf_token(app, client, world):
    client.login("admin")  # logged in, so only the missing token can be what is refused
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(posts) >= 8
    for rule in posts:
        path = rule.rule.replace("<int:", "<").replace("<kind>", "refusals")
        for name in rule.arguments:
            path = path.replace(f"<{name}>", "1")
        for headers in ({}, {"HX-Request": "true"}):
            answer = client.post(path, data={"username": "x", "outcome": "absent"}, headers=headers)
            assert answer.status_code == 400, f"POST {path}: {answer.status_code}"
            assert "biểu mẫu" in answer.get_data(as_text=True).lower(), path


@pytest.mark.parametrize("typed, shown", [
    ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("+84912345678", "'+84912345678"),
    ("-1+1", "'-1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t'=1"),  # the tab itself may split: what follows it is neutralised too
    ("Nguyễn Văn Đức", "Nguyễn Văn Đức"),
    ("a=b", "a=b"),
    ("", ""),
])
def test_spreadsheet_cells_never_start_a_formula(typed, shown):
    assert spreadsheet_safe(typed) == shown


def test_spreadsheet_cells_keep_numbers_dates_and_blanks():
    assert spreadsheet_safe(-5) == -5
    assert spreadsheet_safe(date(2022, 7, 8)) == date(2022, 7, 8)
    assert spreadsheet_safe(None) is None


FORMULA = ("=", "+", "-", "@")
DELIMITERS = (",", ";", "\t", "|")


def _cells_a_spreadsheet_may_read(line: str, delimiter: str) -> list[str]:
    """The cells a spreadsheet that splits on `delimiter` reads, honouring quotes or not."""
    naive = [part.strip().lstrip('"').lstrip() for part in line.split(delimiter)]
    quoted = next(csv.reader([line], delimiter=delimiter))
    return naive + [cell.lstrip() for cell in quoted]


def test_a_csv_cell_cannot_become_a_formula_for_any_delimiter(app, client, world):
    from portal.lists.document import document_of
    from portal.lists.models import ComplianceList
    from portal.lists.spreadsheets import csv_bytes
    from portal.residents.models import Resident

    names = {"duc": "x;=1+1", "nam": "y\t@SUM(A1)", "hoa": "z|+HYPERLINK(1), -2"}
    with app.app_context():
        for key, name in names.items():
            db.session.get(Resident, world[key]).full_name = name
        db.session.commit()
    client.login("commune_lead")
    assert client.post_form("/lists/submit", {}).status_code == 302
    with app.app_context():
        text = csv_bytes(document_of(db.session.scalar(select(ComplianceList)))).decode("utf-8-sig")
    lines = text.split("\r\n")[1:-1]
    assert len(lines) == 3
    for line in lines:
        cells = next(csv.reader([line]))
        quoted = ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)
        assert line == quoted, "every cell is quoted"
        for delimiter in DELIMITERS:
            for cell in _cells_a_spreadsheet_may_read(line, delimiter):
                assert not cell.startswith(FORMULA), (delimiter, cell, line)
    assert sorted(next(csv.reader([line]))[2] for line in lines) == [
        "x;'=1+1", "y\t'@SUM(A1)", "z|'+HYPERLINK(1), '-2"]
