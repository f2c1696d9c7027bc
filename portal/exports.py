"""What every spreadsheet export (Excel, CSV) of the portal passes its cells through."""

from __future__ import annotations

import re

from portal.text import replace_control_characters

# A cell starting with one of these is a formula to Excel and LibreOffice: "=HYPERLINK(...)"
# typed as a name would run when a clerk opens the file (CSV/formula injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A spreadsheet opening a CSV may split its lines on any of these (comma, semicolon where the
# decimal sign is a comma, tab, pipe), whatever the file's own delimiter and its quotes: what
# follows one starts a cell of its own there, so "x;=1+1" would be the formula "=1+1".
_SPLIT_BEFORE_FORMULA = re.compile(r"([,;\t|\r\n]\s*)(?=[=+\-@])")


def spreadsheet_safe(value):
    """The value as a spreadsheet must show it: no part of a text can start a formula.

    A ' goes before a text that would start one, and after each delimiter a spreadsheet may
    split on that is followed by one. A control character (a NUL in a refused import row)
    shows as �: an XLSX cell cannot hold one. Numbers, dates and None pass through; only
    text is ever changed, and only there.
    """
    if not isinstance(value, str):
        return value
    value = _SPLIT_BEFORE_FORMULA.sub(r"\1'", replace_control_characters(value))
    return "'" + value if value.startswith(FORMULA_STARTS) else value


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def add_sheet(workbook, title: str, header: list[str], rows) -> None:
    """A sheet of a write-only workbook: the header in bold, then the rows, every cell through
    spreadsheet_safe."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(title)
    bold = Font(bold=True)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=spreadsheet_safe(name))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([spreadsheet_safe(value) for value in row])


def xlsx_of(sheets: list[tuple[str, list[str], object]]) -> bytes:
    """A workbook of (title, header, rows) sheets, as bytes."""
    import io

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        add_sheet(workbook, title, header, rows)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def attachment(body: bytes, media_type: str, name: str):
    """A file to download: personal data, so no cache keeps a copy."""
    from flask import Response

    return Response(body, content_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
