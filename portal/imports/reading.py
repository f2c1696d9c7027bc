"""Spreadsheets communes import (CSV, XLSX, legacy XLS) read into plain rows, without the database.

`read_table` finds the header row under any titles, joins two- and three-row headers, drops
blank rows and columns, and turns text typed in TCVN3 or VNI into Unicode. Every row keeps the
number a person sees in Excel, so that the import can point at it. The values stay as they
were typed (text, or a date where the spreadsheet held one): `parse_date`, `parse_birth_date`
and the checks of portal.residents.identity make them into what the database stores.

Anyone who may import can upload anything, so a file is refused, with the reason, as soon as it
shows it is no register: a workbook that would unpack to far more than a register holds (told
from the zip's directory, before anything is unpacked), more columns, rows or merged ranges than
any register has, a cell longer than a spreadsheet can hold. Reading streams the rows and keeps
only the non-blank ones, cut to their last value, so that the work and the memory of a read
follow what the file holds, not what it claims.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Iterable, Iterator, NamedTuple

import openpyxl
import xlrd
from flask_babel import LazyString, format_decimal, lazy_gettext as _l
from openpyxl.utils import column_index_from_string, get_column_letter

from portal.imports import legacy
from portal.text import fold, shortened

EXTENSIONS = (".csv", ".xlsx", ".xls")
# The header row is looked for among this many non-blank rows, under titles and subtitles.
HEADER_SEARCH_ROWS = 15
# Headers of more rows than this are not joined: "Thông tin tiêm chủng" / "Mũi 1" / "Ngày tiêm".
HEADER_MAX_ROWS = 3
# How many text cells the legacy-encoding and garbling checks look at, spread over the file.
SAMPLE_CELLS = 4000

# What no register has; a file beyond any of these is refused as a whole. A register has a
# dozen columns or two; a commune of 100,000 people with four doses each is 400,000 rows; a
# household's address merged over its members is one range per household and column.
MAX_COLUMNS = 200
MAX_ROWS = 500_000
MAX_MERGES = 200_000
# Excel holds at most this many characters in a cell: a longer one is no spreadsheet's.
CELL_LIMIT = 32_767
# Longer than any name, address or note of a register: the row holding such a cell is broken
# (a paste gone wrong) and is refused on its own (portal.imports.base.checked_rows).
LONG_CELL = 1_000
# A header is kept to this length: it labels the column on the mapping screen.
HEADER_LENGTH = 60
# An .xlsx is a zip. The upload limit's 16 MB of a register unpack to some 150 MB (its XML
# compresses about tenfold); a part that grows more than a hundredfold, once it is past a few
# megabytes, is a zip bomb (a 170 KB file holding 68 MB of shared strings).
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 100
RATIO_FROM = 8 * 1024 * 1024
# The rows of a worksheet, as Excel numbers them; a row numbered beyond is no worksheet's.
EXCEL_ROWS = 1_048_576

NOT_A_SPREADSHEET = _l("Only .csv, .xlsx and .xls files can be imported.")
EMPTY = _l("The file is empty.")
NO_HEADER = _l("No row of column names (such as “Full name” or “Date of birth”) was found "
               "in the first 15 rows of the file.")
DAMAGED = _l("The file is damaged, or is not really the kind of file its name says. Open it "
             "in Excel and save it again as .xlsx.")
ENCRYPTED = _l("The file is protected by a password. Open it in Excel, remove the password "
               "and upload it again.")
UNREADABLE_TEXT = _l("The text in the file is in an encoding that cannot be read. Save it as "
                     ".xlsx, or as CSV UTF-8, and upload it again.")
TOO_MUCH_UNPACKED = _l("This workbook would unpack to far more than any register holds: it is "
                       "damaged, or not a register. Open it in Excel, save it again as .xlsx "
                       "and upload it again.")
TOO_MANY_COLUMNS = _l("The file has more than %(n)s columns, and no register has so many. Check "
                      "that it is the right file, keep only the register's columns and upload "
                      "it again.", n=MAX_COLUMNS)
TOO_MANY_ROWS = _l("The file has more than %(n)s rows, more than any commune's register. Split "
                   "it into parts and upload each.",
                   n=LazyString(format_decimal, MAX_ROWS, format="#,##0"))
TOO_MANY_MERGES = _l("The file has more than %(n)s merged ranges, more than any register. "
                     "Unmerge the cells in Excel and upload it again.",
                     n=LazyString(format_decimal, MAX_MERGES, format="#,##0"))
CELL_TOO_LONG = _l("A cell of the file holds more text than a spreadsheet cell can: the file is "
                   "damaged, or not a register.")

# Why a file was refused, by the name an import keeps (portal.imports.models.Import.refusal).
REFUSALS = {
    "not_a_spreadsheet": NOT_A_SPREADSHEET, "empty": EMPTY, "no_header": NO_HEADER,
    "damaged": DAMAGED, "encrypted": ENCRYPTED, "unreadable_text": UNREADABLE_TEXT,
    "too_much_unpacked": TOO_MUCH_UNPACKED, "too_many_columns": TOO_MANY_COLUMNS,
    "too_many_rows": TOO_MANY_ROWS, "too_many_merges": TOO_MANY_MERGES,
    "cell_too_long": CELL_TOO_LONG,
}

RESIDENT_FIELDS: dict[str, tuple[str, ...]] = {
    "full_name": ("Họ và tên", "Họ tên", "Tên", "Họ và tên công dân"),
    "birth_date": ("Ngày sinh", "Ngày tháng năm sinh", "Năm sinh", "Sinh ngày"),
    "sex": ("Giới tính", "Giới", "Nam/Nữ"),
    "id_number": ("Số CCCD", "CCCD", "CMND", "Số CCCD/CMND", "Số định danh", "Số CMND",
                  "Căn cước công dân", "Số căn cước"),
    "phone": ("Số điện thoại", "SĐT", "Điện thoại", "Số ĐT", "Di động"),
    "address": ("Địa chỉ", "Nơi ở hiện tại", "Địa chỉ thường trú", "Nơi thường trú",
                "Chỗ ở hiện nay"),
    "hamlet": ("Thôn/Ấp/Tổ", "Thôn", "Ấp", "Tổ", "Khu vực", "Tổ dân phố", "Xóm", "Khu phố",
               "Bản", "Buôn", "Làng"),
    "household_code": ("Mã hộ", "Số hộ", "Mã số hộ", "Mã hộ gia đình", "Số hộ khẩu"),
    # A minor's parent or guardian, as school and children's registers head them.
    "guardian_name": ("Họ tên người giám hộ", "Người giám hộ", "Họ tên cha/mẹ",
                      "Họ tên cha mẹ", "Họ tên bố/mẹ", "Cha/mẹ/người giám hộ",
                      "Họ tên phụ huynh", "Phụ huynh"),
    "guardian_phone": ("SĐT người giám hộ", "Số điện thoại người giám hộ",
                       "Điện thoại người giám hộ", "SĐT cha/mẹ", "Số điện thoại cha/mẹ",
                       "SĐT bố/mẹ", "SĐT phụ huynh", "Số điện thoại phụ huynh"),
}
DOSE_FIELDS: dict[str, tuple[str, ...]] = {
    "full_name": RESIDENT_FIELDS["full_name"],
    "birth_date": RESIDENT_FIELDS["birth_date"],
    "id_number": RESIDENT_FIELDS["id_number"],
    "phone": RESIDENT_FIELDS["phone"],
    "dose": ("Mũi tiêm", "Mũi", "Mũi số", "Mũi thứ"),
    "vaccine": ("Tên vắc xin", "Loại vắc xin", "Vắc xin", "Vaccine", "Tên vaccine"),
    "date": ("Ngày tiêm", "Ngày tiêm chủng", "Thời gian tiêm"),
    "site": ("Nơi tiêm", "Cơ sở tiêm", "Điểm tiêm", "Cơ sở tiêm chủng", "Đơn vị tiêm"),
}

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Cell = str | date | None


class UnreadableFile(Exception):
    """A file the import cannot read: `reason` names why (a key of REFUSALS), `message` says it
    to the uploader (lazily translated, so that it is said in the language of whoever reads)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self):
        return REFUSALS[self.reason]


@dataclass(slots=True)
class SourceRow:
    """A row of the file: `line` is its number as Excel (or the CSV's line count) shows it."""

    line: int
    cells: list[Cell]


@dataclass
class Table:
    """What a file holds under its header row, with one header per column.

    `scheme` is the legacy encoding ("tcvn3", "vni") the text was converted from, if any;
    `sheet` the worksheet read (None for a CSV).
    """

    headers: list[str]
    rows: list[SourceRow]
    scheme: str | None = None
    sheet: str | None = None


class _Sheet(NamedTuple):
    """A worksheet as read, before its header is found: rows by line, merged ranges."""

    name: str | None
    rows: Iterable[tuple[int, list[Cell]]]
    # (first line, first column, last line, last column), 1-based and inclusive, as Excel says.
    merges: list[tuple[int, int, int, int]]


def check_upload(filename: str, data: bytes) -> None:
    """UnreadableFile for what the upload shows without being read: a name that is no
    spreadsheet's, or nothing in it. The rest is for `read_table`, in a job."""
    if PurePath(filename or "").suffix.lower() not in EXTENSIONS:
        raise UnreadableFile("not_a_spreadsheet")
    if not data or data.isspace():
        raise UnreadableFile("empty")


def read_table(filename: str, data: bytes) -> Table:
    """The table in an uploaded file, or UnreadableFile saying why there is none.

    The extension says whether the file is text (.csv) or a workbook; what kind of workbook
    is told by its first bytes, so an .xlsx renamed .xls (a common thing) reads all the same.
    In a workbook, the first visible sheet with a header row is read.
    """
    # Reading builds a few containers per cell and none of them in a cycle: the collector
    # would only walk them again and again (40% of the time of a 100,000-row file). Threads
    # reading at once leave it as the first found it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _read_table(filename, data)
    finally:
        if collecting:
            gc.enable()


def _read_table(filename: str, data: bytes) -> Table:
    check_upload(filename, data)
    if data.startswith(ZIP_MAGIC):
        sheets = _xlsx_sheets(data)
    elif data.startswith(OLE_MAGIC):
        sheets = _xls_sheets(data)
    elif PurePath(filename).suffix.lower() == ".csv":
        sheets = iter([_csv_sheet(data)])
    else:
        raise UnreadableFile("damaged")
    found_rows = False
    for sheet in sheets:
        rows = list(_register_rows(sheet.rows))
        found_rows = found_rows or bool(rows)
        table = _table(rows, _register_merges(sheet.merges, rows), sheet.name)
        if table is not None:
            return table
    raise UnreadableFile("no_header" if found_rows else "empty")


# --- What a register holds ----------------------------------------------------------------

def _first_columns(values: Sequence, blank: Callable[[Sequence], bool]) -> Sequence:
    """A row's first MAX_COLUMNS values; UnreadableFile when a value lies beyond them.

    Each format says what `blank` is for its values, so that the test of the columns beyond
    runs at the speed of the format's own containers: a row padded out to column 16,384 costs
    a slice, not a loop.
    """
    if len(values) <= MAX_COLUMNS:
        return values
    if not blank(values[MAX_COLUMNS:]):
        raise UnreadableFile("too_many_columns")
    return values[:MAX_COLUMNS]


def _register_rows(rows: Iterable[tuple[int, list[Cell]]]) -> Iterator[tuple[int, list[Cell]]]:
    """The non-blank rows of a sheet, each without the blank cells after its last value;
    UnreadableFile past MAX_ROWS of them."""
    count = 0
    for line, cells in rows:
        while cells and cells[-1] is None:
            cells.pop()
        if not cells:
            continue
        count += 1
        if count > MAX_ROWS:
            raise UnreadableFile("too_many_rows")
        yield line, cells


def _register_merges(merges, rows: list[tuple[int, list[Cell]]]) -> list[tuple[int, int, int, int]]:
    """The merged ranges within the rows and columns read, or UnreadableFile for more than
    MAX_MERGES of them, or for ranges that overlap (no spreadsheet program makes those): the
    header and a household's address are filled from them, cell by cell."""
    if len(merges) > MAX_MERGES:
        raise UnreadableFile("too_many_merges")
    last = rows[-1][0] if rows else 0
    kept = [(r1, c1, min(r2, last), min(c2, MAX_COLUMNS)) for r1, c1, r2, c2 in merges
            if r1 <= last and c1 <= MAX_COLUMNS and r1 <= r2 and c1 <= c2]
    if sum((r2 - r1 + 1) * (c2 - c1 + 1) for r1, c1, r2, c2 in kept) > last * MAX_COLUMNS:
        raise UnreadableFile("damaged")
    return kept


# --- Cells --------------------------------------------------------------------------------

def _text(value: str) -> str | None:
    """A text cell as kept: NFC, no edge blanks, None when nothing is left; UnreadableFile for
    one longer than a spreadsheet cell holds."""
    if len(value) > CELL_LIMIT:
        raise UnreadableFile("cell_too_long")
    value = value.strip()
    if not value:
        return None
    if not value.isascii() and not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return value


def _number(value: int | float) -> str:
    """A number as its text: 33239.0 -> "33239", so that IDs and serial dates read as typed."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _workbook_cell(value) -> Cell:
    if value is None:
        return None
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return _number(value)
    return _text(str(value))


# --- CSV ----------------------------------------------------------------------------------

# Each byte as the character Windows-1252 gives it, or Latin-1 where 1252 has none: how
# legacy-font text looks once read (see portal.imports.legacy).
_BYTE_CHARS = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256))
_BYTES_AS_TEXT = {b: ch for b, ch in enumerate(_BYTE_CHARS)}


def _decode(data: bytes) -> str:
    """The text of a CSV: UTF-8 or UTF-16 by their marks, UTF-8 without, else Windows-1258
    (Vietnamese Windows) or 1252, whichever reads; legacy-font text is kept byte for byte."""
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            raise UnreadableFile("unreadable_text") from None
    as_bytes = data.decode("latin-1").translate(_BYTES_AS_TEXT)
    sample = as_bytes[:50_000]
    if legacy.detect(sample):
        return as_bytes
    try:
        vietnamese = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        return as_bytes
    if legacy.looks_garbled(vietnamese[:50_000]) and not legacy.looks_garbled(sample):
        return as_bytes
    return vietnamese


def _delimiter(text: str) -> str:
    """Comma, semicolon (Excel where the decimal sign is a comma) or tab: the one that splits
    the most of the first lines into the same number of columns."""
    sample = text[:50_000].splitlines()[:50]
    best, best_score = ",", 0
    for delimiter in (",", ";", "\t"):
        widths = [len(row) for row in csv.reader(sample, delimiter=delimiter) if len(row) > 1]
        if widths:
            common = max(set(widths), key=widths.count)
            score = widths.count(common) * common
            if score > best_score:
                best, best_score = delimiter, score
    return best


def _blank_fields(fields: Sequence[str]) -> bool:
    return not "".join(fields).strip()


def _csv_rows(text: str) -> Iterator[tuple[int, list[Cell]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        # Numbered by record, as Excel numbers the rows of a CSV it opens.
        for line, record in enumerate(reader, start=1):
            yield line, [_text(value) for value in _first_columns(record, _blank_fields)]
    except csv.Error as error:
        # The csv module's own bound on a field (128 KB) is past a spreadsheet cell's.
        too_long = "field larger than field limit" in str(error)
        raise UnreadableFile("cell_too_long" if too_long else "damaged") from error


def _csv_sheet(data: bytes) -> _Sheet:
    return _Sheet(None, _csv_rows(_decode(data)), [])


# --- XLSX ---------------------------------------------------------------------------------

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _xlsx_merges(worksheet) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a read-only sheet, which openpyxl does not give in that mode; one more
    than MAX_MERGES at most, enough for _register_merges to refuse them.

    They sit after the cells in the sheet's XML, so the XML is streamed (cheap next to
    parsing it) and only its tail searched.
    """
    tail, window = b"", b""
    with worksheet._get_source() as source:
        while chunk := source.read(1 << 20):
            if tail:
                tail += chunk
                continue
            window = window[-32:] + chunk
            start = window.find(b"mergeCells")
            if start >= 0:
                tail = window[start:]
    found = itertools.islice(_MERGE.finditer(tail), MAX_MERGES + 1)
    return [(int(r1), column_index_from_string(c1.decode()), int(r2),
             column_index_from_string(c2.decode()))
            for c1, r1, c2, r2 in (match.groups() for match in found)]


def _blank_values(values: Sequence) -> bool:
    return values.count(None) == len(values)


def _xlsx_rows(worksheet) -> Iterator[tuple[int, list[Cell]]]:
    # The size written in the file is often wrong (tools write it before the rows); unset,
    # openpyxl reads every row there is, each as wide as its last cell, value or not.
    worksheet.reset_dimensions()
    try:
        for line, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if line > EXCEL_ROWS:  # openpyxl would count up to any row number the XML gives
                raise UnreadableFile("damaged")
            if _blank_values(values):
                continue
            yield line, [None if value is None else _workbook_cell(value)
                         for value in _first_columns(values, _blank_values)]
    except UnreadableFile:
        raise
    except Exception as error:  # whatever the parser met: a sheet it cannot read
        raise UnreadableFile("damaged") from error


def _check_archive(data: bytes) -> None:
    """UnreadableFile for a zip that would unpack to more than MAX_UNPACKED, or holds a part
    that grows more than MAX_RATIO times: told from the zip's directory, before anything is
    unpacked. Python's zipfile stops each part at the size the directory gives it, so what
    openpyxl then unpacks is no more than was checked here."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception as error:  # whatever zipfile met: no zip, so no workbook
        raise UnreadableFile("damaged") from error
    if sum(part.file_size for part in parts) > MAX_UNPACKED or any(
            part.file_size > RATIO_FROM and part.file_size > MAX_RATIO * part.compress_size
            for part in parts):
        raise UnreadableFile("too_much_unpacked")


def _xlsx_sheets(data: bytes) -> Iterator[_Sheet]:
    _check_archive(data)
    try:
        with warnings.catch_warnings():
            # Features openpyxl skips (data validation, slicers...) change nothing read here.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # whatever the parser met, the file is not a workbook
        raise UnreadableFile("damaged") from error
    try:
        for worksheet in workbook.worksheets:
            if worksheet.sheet_state != "visible":
                continue
            try:
                merges = _xlsx_merges(worksheet)
            except Exception as error:  # as above: a sheet the parser cannot read
                raise UnreadableFile("damaged") from error
            # The rows are read as the sheet is used, within the workbook kept open here.
            yield _Sheet(worksheet.title, _xlsx_rows(worksheet), merges)
    finally:
        workbook.close()


# --- XLS ----------------------------------------------------------------------------------

def _xls_cell(cell, datemode: int) -> Cell:
    kind = cell.ctype
    if kind == xlrd.XL_CELL_TEXT:
        return _text(cell.value)
    if kind == xlrd.XL_CELL_NUMBER:
        return _number(cell.value)
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode).date()
        except (xlrd.XLDateError, ValueError, OverflowError):
            return _number(cell.value)
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value)
    return None


def _is_encrypted_package(data: bytes) -> bool:
    """An .xlsx with a password is an OLE file holding an "EncryptedPackage" stream."""
    return "EncryptedPackage".encode("utf-16-le") in data


_XLS_BLANK = (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)


def _blank_types(types: Sequence[int]) -> bool:
    return types.count(xlrd.XL_CELL_EMPTY) + types.count(xlrd.XL_CELL_BLANK) == len(types)


def _xls_rows(sheet, datemode: int) -> Iterator[tuple[int, list[Cell]]]:
    # The format itself bounds a sheet (65,536 rows of 256 columns); ragged rows end at their
    # last cell, and only the first MAX_COLUMNS are made into values.
    for index in range(sheet.nrows):
        types = sheet.row_types(index)
        if _blank_types(types):
            continue
        width = len(_first_columns(types, _blank_types))
        yield index + 1, [None if kind in _XLS_BLANK else _xls_cell(cell, datemode)
                          for kind, cell in zip(types[:width], sheet.row_slice(index, 0, width))]


def _xls_sheets(data: bytes) -> Iterator[_Sheet]:
    if _is_encrypted_package(data):
        raise UnreadableFile("encrypted")
    try:
        # formatting_info gives the merged ranges; xlrd only has it for BIFF 5 and later.
        try:
            book = xlrd.open_workbook(file_contents=data, formatting_info=True,
                                      ragged_rows=True, logfile=io.StringIO())
        except NotImplementedError:
            book = xlrd.open_workbook(file_contents=data, ragged_rows=True,
                                      logfile=io.StringIO())
    except xlrd.XLRDError as error:
        if "encrypted" in str(error).lower():
            raise UnreadableFile("encrypted") from error
        raise UnreadableFile("damaged") from error
    except Exception as error:  # whatever the parser met, the file is not a workbook
        raise UnreadableFile("damaged") from error
    for sheet in book.sheets():
        if sheet.visibility != 0:
            continue
        merges = [(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in sheet.merged_cells]
        yield _Sheet(sheet.name, _xls_rows(sheet, book.datemode), merges)


# --- From rows to a table -----------------------------------------------------------------

_VALUE = re.compile(r"(?s)(?=.*\d)[\d\s.,/:+\-()]+")
_LETTER = re.compile(r"[^\W\d_]")


def _is_value(cell: Cell) -> bool:
    """A date or something made of digits: what fills data rows, never a header."""
    return isinstance(cell, date) or (isinstance(cell, str) and bool(_VALUE.fullmatch(cell)))


def _is_label(cell: Cell) -> bool:
    return isinstance(cell, str) and bool(_LETTER.search(cell)) and not _is_value(cell)


def _label_key(text: str) -> str:
    """A header as compared with synonyms: folded, punctuation gone, "Số CCCD/CMND" ->
    "so cccd cmnd"."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


_KNOWN_LABELS = tuple(sorted({_label_key(synonym) for fields in (RESIDENT_FIELDS, DOSE_FIELDS)
                              for synonyms in fields.values() for synonym in synonyms}
                             | {"stt", "so thu tu", "ghi chu"}))


def _known_labels(cells: list[Cell]) -> int:
    """How many cells name a column the import knows."""
    count = 0
    for cell in cells:
        if _is_label(cell):
            key = f" {_label_key(cell)} "
            count += any(f" {label} " in key for label in _KNOWN_LABELS)
    return count


def _header_score(cells: list[Cell]) -> tuple[int, int] | None:
    """(known column names, labels) for a row that can be a header, None for one that cannot.

    A header has no dates or numbers, and two labels or one the import knows: a title
    ("DANH SÁCH NHÂN KHẨU") or a first data row is not one.
    """
    if any(_is_value(cell) for cell in cells):
        return None
    labels = sum(map(_is_label, cells))
    known = _known_labels(cells)
    return (known, labels) if labels >= 2 or known else None


def _spans(merges, line: int) -> set[int]:
    """Columns of `line` inside a range merged across columns (the title of a group)."""
    return {column for r1, c1, r2, c2 in merges if r1 <= line <= r2 and c2 > c1
            for column in range(c1, c2 + 1)}


def _is_group_over(upper: tuple[int, list[Cell]], lower: tuple[int, list[Cell]],
                   merges) -> bool:
    """Whether `upper` is a row of group titles over the header row `lower`.

    Both rows hold only labels, on consecutive lines; the upper row has two labels or more (a
    title above the header has one) and leaves room, empty or merged across, over a label of
    the lower one.
    """
    (upper_line, upper_cells), (lower_line, lower_cells) = upper, lower
    if lower_line != upper_line + 1:
        return False
    for cells in (upper_cells, lower_cells):
        if any(cell is not None and not _is_label(cell) for cell in cells):
            return False
    if sum(cell is not None for cell in upper_cells) < 2:
        return False
    spanned = _spans(merges, upper_line)
    return any(cell is not None and (index >= len(upper_cells) or upper_cells[index] is None
                                     or index + 1 in spanned)
               for index, cell in enumerate(lower_cells))


def _fill_merges(block: list[tuple[int, list[Cell]]], merges, width: int) -> list[list[Cell]]:
    """The header rows with every merged range showing its value in each of its cells, and a
    group title written once over several columns (a CSV has no merges) carried to its right
    over the labels under it."""
    grid = [cells + [None] * (width - len(cells)) for _, cells in block]
    lines = {line: index for index, (line, _) in enumerate(block)}
    for r1, c1, r2, c2 in merges:
        if r1 in lines and c1 <= width:
            value = grid[lines[r1]][c1 - 1]
            for line in range(r1, r2 + 1):
                if line in lines:
                    for column in range(c1, min(c2, width) + 1):
                        if grid[lines[line]][column - 1] is None:
                            grid[lines[line]][column - 1] = value
    merged_lines = {line for line in lines if any(r1 <= line <= r2 for r1, _, r2, _ in merges)}
    # From the bottom up, so that a title over groups spans the groups once they are carried.
    for (line, _), upper, lower in reversed(list(zip(block, grid, grid[1:]))):
        if line in merged_lines:
            continue  # the merges said where the group ends
        for column in range(1, width):
            if (upper[column] is None and lower[column] is not None
                    and upper[column - 1] is not None and lower[column - 1] is not None):
                upper[column] = upper[column - 1]
    return grid


def _header_block(head: list[tuple[int, list[Cell]]], merges) -> tuple[int, int] | None:
    """Indexes (first, last) in `head` of the header rows, None when there is no header."""
    scores = [_header_score(cells) for _, cells in head]
    candidates = [index for index, score in enumerate(scores) if score is not None]
    if not candidates:
        return None
    best = max(candidates, key=lambda index: (scores[index], -index))
    first = last = best
    while last - first + 1 < HEADER_MAX_ROWS:
        if first > 0 and _is_group_over(head[first - 1], head[first], merges):
            first -= 1
        elif last + 1 < len(head) and _is_group_over(head[last], head[last + 1], merges):
            last += 1
        else:
            break
    return first, last


def _headers(grid: list[list[Cell]]) -> list[str]:
    """One header per column: the labels of the header rows, top to bottom, repeats left out,
    "Thông tin cá nhân: Họ và tên", kept to HEADER_LENGTH characters."""
    headers = []
    for column in zip(*grid):
        parts: list[str] = []
        for cell in column:
            label = " ".join(str(cell).split()) if cell is not None else ""
            if label and (not parts or parts[-1] != label):
                parts.append(label)
        headers.append(shortened(": ".join(parts), HEADER_LENGTH))
    return headers


def _is_column_numbering(cells: list[Cell]) -> bool:
    """A row "1 | 2 | 3 ..." or "(1) | (2) ..." that official forms put under the header."""
    values = [cell for cell in cells if cell is not None]
    numbers = [re.fullmatch(r"\(?(\d{1,3})\)?", cell) if isinstance(cell, str) else None
               for cell in values]
    if len(values) < 3 or not all(numbers):
        return False
    sequence = [int(match.group(1)) for match in numbers]
    return all(b == a + 1 for a, b in zip(sequence, sequence[1:]))


def _sample(rows: list[tuple[int, list[Cell]]]) -> list[str]:
    """Text cells with a non-ASCII or control character, from the first rows and spread over
    the rest."""
    step = max(1, len(rows) // 2000)
    picked = rows[:HEADER_SEARCH_ROWS] + rows[HEADER_SEARCH_ROWS::step]
    texts = [cell for _, cells in picked for cell in cells
             if isinstance(cell, str) and not (cell.isascii() and cell.isprintable())]
    return texts[:SAMPLE_CELLS]


def _convert_legacy(rows: list[tuple[int, list[Cell]]]) -> str | None:
    """Convert the cells in place when the file's text is TCVN3 or VNI; the scheme found.

    Raises UnreadableFile when the text, converted or not, is too broken to import.
    """
    sample = _sample(rows)
    scheme = legacy.detect("\n".join(sample))
    if scheme:
        converted: dict[str, str] = {}  # hamlets, sexes, addresses repeat down a register
        for _, cells in rows:
            for index, cell in enumerate(cells):
                if isinstance(cell, str) and not cell.isascii():
                    if cell not in converted:
                        converted[cell] = legacy.to_unicode(cell, scheme)
                    cells[index] = converted[cell]
        sample = _sample(rows)
    if legacy.looks_garbled("\n".join(sample)):
        raise UnreadableFile("unreadable_text")
    return scheme


def _unique(headers: list[str]) -> list[str]:
    """Headers told apart: a second "Ngày tiêm" becomes "Ngày tiêm (2)"."""
    seen: dict[str, int] = {}
    unique = []
    for header in headers:
        seen[header] = seen.get(header, 0) + 1
        unique.append(header if seen[header] == 1 else f"{header} ({seen[header]})")
    return unique


def _table(rows: list[tuple[int, list[Cell]]], merges, sheet: str | None) -> Table | None:
    """The table in a sheet's non-blank rows, None when it has no header row."""
    if not rows:
        return None
    scheme = _convert_legacy(rows)
    head = rows[:HEADER_SEARCH_ROWS]
    block = _header_block(head, merges)
    if block is None:
        return None
    first, last = block
    data = rows[last + 1:]
    width = max(len(cells) for _, cells in rows[first:])
    grid = _fill_merges(head[first:last + 1], merges, width)
    if data and data[0][0] == head[last][0] + 1 and _is_column_numbering(data[0][1]):
        data = data[1:]

    # A range merged down a column (a household's address over its members) gives its value
    # to every row it covers.
    by_line = {line: cells for line, cells in data} if merges else {}
    for r1, c1, r2, _ in merges:
        if r1 in by_line and r2 > r1 and c1 <= len(by_line[r1]):
            value = by_line[r1][c1 - 1]
            for line in range(r1 + 1, r2 + 1):
                cells = by_line.get(line)
                if cells is not None:
                    cells += [None] * (c1 - len(cells))
                    if cells[c1 - 1] is None:
                        cells[c1 - 1] = value

    headers = _headers(grid)
    blank = {index for index, header in enumerate(headers) if not header}
    for _, cells in data:
        if not blank:
            break
        blank -= {index for index in blank if index < len(cells) and cells[index] is not None}
    kept = [index for index in range(width) if index not in blank]
    headers = _unique([headers[index] or get_column_letter(index + 1) for index in kept])
    source_rows = []
    for line, cells in data:
        if len(cells) < width:
            cells += [None] * (width - len(cells))
        source_rows.append(SourceRow(line, [cells[index] for index in kept] if blank else cells))
    return Table(headers, source_rows, scheme, sheet)


# --- Values -------------------------------------------------------------------------------

class ParsedDate(NamedTuple):
    """A birth date as the register gives it: the full date, or only the year (date None)."""

    date: date | None
    year: int


# Day 0 of Excel's 1900 date system for serials from 61 on: Excel counts a 29 February 1900
# (serial 60) that never was.
_EXCEL_EPOCH = date(1899, 12, 30)
# Larger numbers are not dates typed by anyone (99999 is in 2173): "01011990" is refused.
_EXCEL_LAST = 99_999
# A bare number this size is a year, not a serial date: those days are in 1905.
_YEARS = range(1900, 2101)
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DAY_FIRST = re.compile(r"(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4})" + _TIME)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)
_SERIAL = re.compile(r"\d+(?:[.,]\d+)?")


def _from_serial(serial: float) -> date:
    days = int(serial)
    if days in _YEARS:
        raise ValueError(f"{serial!r} is a year, not a date")
    if not 1 <= days <= _EXCEL_LAST or days == 60:
        raise ValueError(f"{serial!r} is not an Excel date")
    if days < 60:
        return date(1899, 12, 31) + timedelta(days=days)
    return _EXCEL_EPOCH + timedelta(days=days)


def parse_date(value) -> date | None:
    """A date from a cell: a date, an Excel serial number (33239 -> 1991-01-01), or text,
    day first ("dd/mm/yyyy", "d/m/yyyy", "dd-mm-yyyy", "dd.mm.yyyy") or "yyyy-mm-dd".

    None for an empty cell; ValueError for anything else, an impossible day (31/02/1990), a
    two-digit year or a bare year (see parse_birth_date). Whether the date is plausible (not
    in the future, not before 1900) is the caller's business.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{value!r} is not a date")
    if not isinstance(value, str):
        return _from_serial(value)
    text = value.strip()
    if not text:
        return None
    if match := _DAY_FIRST.fullmatch(text):
        day, _, month, year = match.groups()
    elif match := _ISO.fullmatch(text):
        year, month, day = match.groups()
    elif _SERIAL.fullmatch(text):
        return _from_serial(float(text.replace(",", ".")))
    else:
        raise ValueError(f"{value!r} is not a date")
    return date(int(year), int(month), int(day))


def parse_birth_date(value) -> ParsedDate | None:
    """A birth date, or only a birth year (1900-2100) as the register sometimes has it.

    None for an empty cell, ValueError as parse_date. Residents keep both: birth_date (None
    when only the year is known) and birth_year.
    """
    if isinstance(value, str) and value.strip().isdigit() and int(value) in _YEARS:
        return ParsedDate(None, int(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in _YEARS:
        return ParsedDate(None, int(value))
    parsed = parse_date(value)
    return None if parsed is None else ParsedDate(parsed, parsed.year)


# --- Mapping ------------------------------------------------------------------------------

def guess_mapping(headers: list[str], fields: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Which column holds which field, as far as the headers tell: {"full_name": 1, ...}.

    Headers and synonyms are compared folded ("Ngày Sinh" = "ngay sinh"). A header equal to a
    synonym beats one containing it ("Họ và tên chủ hộ"), then the earlier synonym of the
    field wins, then the longer, then the column further left. Each column goes to one field.
    """
    keys = [_label_key(header) for header in headers]
    candidates = []
    for field, synonyms in fields.items():
        for rank, synonym in enumerate(synonyms):
            wanted = _label_key(synonym)
            for index, key in enumerate(keys):
                if key == wanted:
                    kind = 2
                elif f" {wanted} " in f" {key} ":
                    kind = 1
                else:
                    continue
                candidates.append(((kind, -rank, len(wanted), -index), field, index))
    candidates.sort(key=lambda candidate: candidate[0], reverse=True)
    mapping: dict[str, int] = {}
    for _, field, index in candidates:
        if field not in mapping and index not in mapping.values():
            mapping[field] = index
    return mapping
