"""A list's rows as Excel and as CSV, every text cell through portal.exports.spreadsheet_safe."""

from __future__ import annotations

import csv
import io

from portal.exports import spreadsheet_safe
from portal.lists.document import ListDocument

# In the document's language (see document.DOCUMENT_LANGUAGE), as the PDF's are.
COLUMNS = ("STT", "Thôn/Khu vực", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD/CMND",
           "Địa chỉ", "Số mũi đã tiêm", "Lý do", "Ghi chú")
WIDTHS = (6, 16, 26, 12, 9, 16, 34, 9, 26, 40)
# A children's campaign's list (ListDocument.guardian_column) adds its guardians after the
# address, as the PDF does.
GUARDIAN_AFTER = COLUMNS.index("Địa chỉ") + 1
GUARDIAN_COLUMN, GUARDIAN_WIDTH = "Họ tên, SĐT người giám hộ", 30


def columns(document: ListDocument) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The headings of the document's table and their widths (in Excel's characters)."""
    if not document.guardian_column:
        return COLUMNS, WIDTHS
    return (COLUMNS[:GUARDIAN_AFTER] + (GUARDIAN_COLUMN,) + COLUMNS[GUARDIAN_AFTER:],
            WIDTHS[:GUARDIAN_AFTER] + (GUARDIAN_WIDTH,) + WIDTHS[GUARDIAN_AFTER:])


def table(document: ListDocument) -> list[tuple]:
    """The rows as cells, numbered, in the columns of `columns`."""
    cells = [
        (number, row.hamlet, row.full_name, row.birth, row.sex, row.id_number_masked,
         row.address, row.doses, row.reason, row.detail)
        for number, row in enumerate(document.rows, 1)
    ]
    if document.guardian_column:
        cells = [line[:GUARDIAN_AFTER] + (row.guardian,) + line[GUARDIAN_AFTER:]
                 for line, row in zip(cells, document.rows)]
    return cells


def csv_bytes(document: ListDocument) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens it with its accents; CRLF lines;
    every cell quoted, so that none splits in a spreadsheet that honours quotes, whatever
    delimiter it splits on (spreadsheet_safe covers one that does not)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(columns(document)[0])
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in table(document))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(document: ListDocument) -> bytes:
    """A workbook of one sheet: the heading lines, then the table with its header frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách")
    headings, widths = columns(document)
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    heading = 4 + (1 if document.draft else 0)
    sheet.freeze_panes = f"A{heading + 1}"
    sheet.print_title_rows = f"{heading}:{heading}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4)

    bold = Font(bold=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    def cell(value, *, font=None, border=None, alignment=None):
        item = WriteOnlyCell(sheet, value=spreadsheet_safe(value))
        if font:
            item.font = font
        if border:
            item.border = border
        if alignment:
            item.alignment = alignment
        return item

    sheet.append([cell(" ".join(document.issuer_lines), font=bold)])
    sheet.append([cell(f"{document.title} {document.subject}", font=bold)])
    sheet.append([cell(document.place_and_date)])
    if document.draft:
        sheet.append([cell("DỰ THẢO", font=Font(bold=True, color="BB0000"))])
    sheet.append([cell(name, font=bold, border=box, alignment=wrap) for name in headings])
    for row in table(document):
        sheet.append([cell(value, border=box, alignment=wrap) for value in row])
    if document.approved_note:
        sheet.append([])
        sheet.append([cell(document.approved_note)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
