"""Rows: reading a 100,000-row register, as a CSV and as a workbook, against a bare read of the
same file.

The files are those the import's tests used to time (tests/test_import_reading.py): eight
columns of a register (number, name, birth date, sex, CCCD, hamlet, address, phone), the
workbook with a title row above the header, written by openpyxl (inline strings, slower to
read than the shared strings Excel writes). The figure is `portal.imports.reading.read_table`:
decoding, the header found under the title, the legacy-encoding check, blank rows and columns
dropped, every cell cleaned (NFC, dates). The baseline reads the same bytes the bare way: for
the CSV, `csv.reader` over the decoded text; for the workbook, openpyxl in read-only mode,
`iter_rows(values_only=True)` into a list. Three runs each, alternating, median. No database.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import date

from bench.common import SQLITE, Backend, BenchError, Row, Settings, median, note

DATABASES = (SQLITE,)
ROWS = 100_000
QUICK_ROWS = 10_000
RUNS = 3
QUICK_RUNS = 1
# The bounds the timed tests used to assert, on a loaded 2-core machine.
CSV_TARGET_SECONDS = 5.0
XLSX_TARGET_SECONDS = 30.0
HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn/Ấp/Tổ", "Địa chỉ",
          "Số điện thoại"]


def title(settings: Settings) -> str:
    return f"reading a {QUICK_ROWS if settings.quick else ROWS:,}-row register"


def register_rows(rows: int) -> list[list]:
    """The register's rows, birth dates as dates."""
    return [[n, "Nguyễn Văn Hùng", date(1991, 1, 1), "Nam", f"092091{n:06d}", "Ấp Mỹ Khánh",
             "Số 12, đường 3/2", f"09{n:08d}"] for n in range(rows)]


def csv_file(rows: int) -> bytes:
    """The register as Excel saves a CSV UTF-8: a BOM, commas, CRLF, dates as dd/mm/yyyy."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n, name, born, *rest in register_rows(rows):
        writer.writerow([str(n), name, born.strftime("%d/%m/%Y"), *rest])
    return out.getvalue().encode("utf-8-sig")


def xlsx_file(rows: int) -> bytes:
    """The register as a workbook with a title above the header."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Nhân khẩu")
    sheet.append(["DANH SÁCH NHÂN KHẨU"])
    sheet.append(HEADER)
    for row in register_rows(rows):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def bare_csv(data: bytes) -> int:
    """csv.reader over the decoded text: the rows, nothing looked at."""
    return len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) - 1


def bare_xlsx(data: bytes) -> int:
    """openpyxl's read-only rows as values: the least any reader of the workbook does."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return len(list(workbook.worksheets[0].iter_rows(values_only=True))) - 2
    finally:
        workbook.close()


def portal_read(filename: str):
    """read_table on the file, returning its number of data rows."""
    from portal.imports.reading import read_table

    def read(data: bytes) -> int:
        return len(read_table(filename, data).rows)
    return read


def timed(read, data: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    count = read(data)
    return time.perf_counter() - started, count


def run(backend: Backend, settings: Settings) -> list[Row]:
    size = QUICK_ROWS if settings.quick else ROWS
    runs = QUICK_RUNS if settings.quick else RUNS
    kinds = (("CSV", "lon.csv", csv_file, bare_csv, "csv.reader", CSV_TARGET_SECONDS),
             ("XLSX", "lon.xlsx", xlsx_file, bare_xlsx, "openpyxl read-only rows",
              XLSX_TARGET_SECONDS))
    rows = []
    for label, filename, make, bare, bare_name, target in kinds:
        data = make(size)
        read = portal_read(filename)
        figures, baselines = [], []
        for attempt in range(runs):  # alternating, on the same machine
            note(f"reading the {label}, {size:,} rows, run {attempt + 1}/{runs}")
            seconds, count = timed(read, data)
            bare_seconds, bare_count = timed(bare, data)
            if count != size or bare_count != size:
                raise BenchError(f"the {label} read {count:,} rows (bare {bare_count:,}), "
                                 f"not {size:,}")
            figures.append(seconds)
            baselines.append(bare_seconds)
        figure, baseline = median(figures), median(baselines)
        rows.append(Row(
            benchmark=f"reading a {size:,}-row register ({label}, {len(data) / 1e6:.1f} MB)",
            database=backend.label,
            figure=f"{figure:.2f} s read_table ({figure / size * 1e6:.0f} µs a row)",
            baseline=f"{bare_name} {baseline:.2f} s ({baseline / size * 1e6:.0f} µs a row)",
            ratio=f"{figure / baseline:.1f}× the bare read",
            target=f"≤ {target:.0f} s: {'met' if figure <= target else 'MISSED'}",
            runs=f"{runs}, median",
        ))
    return rows
