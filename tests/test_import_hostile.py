"""Hostile uploads stay off the web workers: the request keeps the file, a job reads it, what no
register is gets refused with the reason, and every preview is bounded.

The hostile files are made here, small on disk: a workbook whose shared strings unpack to 68 MB,
one whose zip directory claims more than any register unpacks to, a CSV of 200,000 columns.
Uploads stay under 500 KB: past that the test client spools the body to a file it never closes.
"""

from __future__ import annotations

import io
import re
import struct
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook
from redis import Redis
from sqlalchemy import select

from portal.extensions import db
from portal.imports import service
from portal.imports.models import Import, ImportKind, ImportState
from portal.imports.reading import (
    CELL_LIMIT, HEADER_LENGTH, LONG_CELL, MAX_COLUMNS, MAX_MERGES, MAX_ROWS, UnreadableFile,
    read_table,
)
from portal.jobs import runner
from portal.jobs.models import Job, JobState
from test_import_residents import HEADER, ROWS, _csv, _import  # pytest puts tests/ on the path
from test_import_reading import biff8
from test_jobs import REDIS_TEST_URL


def _workbook(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _with_part(data: bytes, name: str, write) -> bytes:
    """The workbook with its part `name` written by write(stream) in place of what it held."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info.filename))
        with target.open(name, "w") as stream:
            write(stream)
    return out.getvalue()


def _zip_bomb() -> bytes:
    """A register of two rows whose shared strings unpack to 68 MB (the probe's file)."""
    def shared_strings(stream):
        stream.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        chunk = b"<si><t>" + b"A" * 65_000 + b"</t></si>"
        for _ in range(68 * 1024 * 1024 // len(chunk)):
            stream.write(chunk)
        stream.write(b"</sst>")

    register = _workbook([HEADER, ROWS[0]])
    return _with_part(register, "xl/sharedStrings.xml", shared_strings)


def _claiming(data: bytes, name: str, size: int) -> bytes:
    """The zip with its directory claiming that the part `name` unpacks to `size` bytes."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", out, at + 28)[0]
        if out[at + 46:at + 46 + length] == name.encode():
            struct.pack_into("<I", out, at + 24, size)
            return bytes(out)
        at = out.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{name} is not in the zip")


def _upload(client, name: str, data: bytes):
    assert len(data) < 500_000  # see above
    return client.post_form("/imports", {"kind": "residents", "file": (io.BytesIO(data), name)},
                            content_type="multipart/form-data")


def _import_of(answer) -> int:
    return int(re.search(r"/imports/(\d+)$", answer.headers["Location"]).group(1))


def test_a_zip_bomb_xlsx_is_refused_with_a_reason_without_reading_it(app, client, world):
    bomb = _zip_bomb()
    assert len(bomb) < 300_000  # some 70 KB on disk, 68 MB unpacked
    with app.app_context():
        # Refused from the zip's directory: nothing is unpacked, so next to nothing is taken.
        tracemalloc.start()
        try:
            with pytest.raises(UnreadableFile) as refused:
                read_table("nhan-khau.xlsx", bomb)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert refused.value.reason == "too_much_unpacked"
        assert peak < 4 * 1024 * 1024, peak

    client.login("commune_lead")
    answer = _upload(client, "nhan-khau.xlsx", bomb)
    assert answer.status_code == 302
    runner.join_threads()
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "khi giải nén sẽ lớn hơn rất nhiều so với bất kỳ sổ dữ liệu nào" in page
    with app.app_context():
        upload = db.session.get(Import, _import_of(answer))
        assert upload.state is ImportState.REFUSED and upload.content is None


def test_a_workbook_whose_directory_claims_more_than_a_register_unpacks_to_is_refused(app):
    # The ratio of each part is plausible (a stored part of random bytes claiming 80 times its
    # size); what they would unpack to together is not.
    import os

    register = _workbook([HEADER, ROWS[0]])
    padded = _with_part(register, "xl/media/pad.bin", lambda stream: stream.write(os.urandom(3 << 20)))
    claiming = _claiming(padded, "xl/media/pad.bin", 240 << 20)
    with app.app_context():
        assert len(read_table("nhan-khau.xlsx", padded).rows) == 1  # the same, honest, reads
        with pytest.raises(UnreadableFile) as refused:
            read_table("nhan-khau.xlsx", claiming)
    assert refused.value.reason == "too_much_unpacked"


def test_a_csv_with_200000_columns_is_refused_and_its_page_stays_small(app, client, world):
    data = _csv([ROWS[0]]) + b",x" * 200_000 + b"\r\n"
    assert len(data) < 500_000
    client.login("commune_lead")
    answer = _upload(client, "nhan-khau.csv", data)
    runner.join_threads()
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Tệp có hơn 200 cột, không sổ dữ liệu nào có nhiều cột như vậy" in page
    assert len(page.encode()) < 30_000 and "<select" not in page
    with app.app_context():
        upload = db.session.get(Import, _import_of(answer))
        assert upload.state is ImportState.REFUSED and upload.refusal == "too_many_columns"
        assert upload.content is None and upload.headers == [] and upload.sample == []


def test_the_upload_request_does_not_parse_the_file(app, client, world):
    """With a queue, as in production, the request keeps the bytes and queues the reading; the
    page follows the job. Only the worker (a process of its own) reads the file."""
    queue = Redis.from_url(REDIS_TEST_URL)
    queue.flushdb()  # fails here, loudly, when no Redis runs: CI has one
    app.config["REDIS_URL"] = REDIS_TEST_URL
    try:
        client.login("commune_lead")
        data = _csv(ROWS)
        answer = _upload(client, "nhan-khau.csv", data)
        assert answer.status_code == 302
        with app.app_context():
            upload = db.session.get(Import, _import_of(answer))
            assert upload.state is ImportState.READING and upload.content == data
            assert (upload.headers, upload.sample, upload.rows_total) == ([], [], 0)
            job = db.session.get(Job, upload.job_id)
            assert (job.kind, job.state) == ("import_read", JobState.QUEUED)
        page = client.get(answer.headers["Location"]).get_data(as_text=True)
        assert f'hx-get="/jobs/{job.id}"' in page and "Đang chờ đến lượt" in page
        assert "<select" not in page and "Phạm Thị Hường" not in page  # no preview yet

        result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
        assert result.exit_code == 0, result.output
        page = client.get(answer.headers["Location"]).get_data(as_text=True)
        assert 'id="map-full_name"' in page and "Phạm Thị Hường" in page
        with app.app_context():
            upload = db.session.get(Import, _import_of(answer))
            assert upload.state is ImportState.UPLOADED and upload.rows_total == 10
    finally:
        queue.flushdb()


def test_every_preview_is_bounded(app, client, world):
    extra = MAX_COLUMNS - len(HEADER)
    header = HEADER + [f"Cột thêm số {n} " + "rất dài " * 20 for n in range(extra)]
    long_cells = service.PREVIEW_COLUMNS - len(HEADER)  # to the preview's last column
    rows = [row + ["ô " * (LONG_CELL // 2 - 1)] * long_cells + ["x"] * (extra - long_cells)
            for row in ROWS]
    client.login("commune_lead")
    answer = _upload(client, "rong.csv", _csv(rows, header))
    runner.join_threads()
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    preview = page.split('<table class="figures preview">', 1)[1].split("</table>", 1)[0]
    heads = re.findall(r"<th>(.*?)</th>", preview, flags=re.S)
    lines = re.findall(r"<tr>(.*?)</tr>", preview.split("<tbody>", 1)[1], flags=re.S)
    cells = [cell for line in lines for cell in re.findall(r"<td>(.*?)</td>", line, flags=re.S)]
    assert len(heads) == service.PREVIEW_COLUMNS and len(lines) == service.SAMPLE_ROWS
    assert len(cells) == service.SAMPLE_ROWS * service.PREVIEW_COLUMNS
    assert max(len(cell) for cell in cells) == service.PREVIEW_CHARS and cells[-1].endswith("…")
    assert max(len(head) for head in heads) <= HEADER_LENGTH
    assert "Đang hiện 30 cột đầu trong 200 cột của tệp." in page
    # Each field's select lists every column, by its header kept short: the page stays small.
    assert page.count('<option value="199">') == len(service.FIELDS[ImportKind.RESIDENTS])
    assert len(page.encode()) < 250_000
    with app.app_context():
        upload = db.session.get(Import, _import_of(answer))
        assert len(upload.sample) == service.SAMPLE_ROWS
        assert all(len(row) == service.PREVIEW_COLUMNS for row in upload.sample)


def test_a_row_with_a_cell_longer_than_any_register_has_is_refused_alone(app, client, world):
    long_address = ["11", "Trương Văn Bình", "01/01/1980", "Nam", "", "", "Số 5 " * 300,
                    "Khu vực 2", "HGĐ-0300"]
    client.login("commune_lead")
    import_id = _import(app, client, "dai.csv", _csv(ROWS[:2] + [long_address]))
    with app.app_context():
        done = db.session.get(Import, import_id)
        assert done.state is ImportState.DONE and (done.created, done.rejected) == (2, 1)
    from openpyxl import load_workbook

    report = load_workbook(io.BytesIO(client.get(f"/imports/{import_id}/report").data)).active
    [refused] = list(report.iter_rows(values_only=True))[1:]
    assert refused[2] == "Trương Văn Bình"
    assert refused[-1] == "Ô “Địa chỉ” dài hơn 1.000 ký tự: không sổ dữ liệu nào có ô dài như vậy."


def _far_workbook(rows_xml: str = "", after_rows_xml: str = "") -> bytes:
    """A register whose sheet has `rows_xml` added after its rows, `after_rows_xml` after them
    (where merged ranges go)."""
    register = _workbook([HEADER, ROWS[0]])
    sheet = zipfile.ZipFile(io.BytesIO(register)).read("xl/worksheets/sheet1.xml").decode()
    return _with_part(register, "xl/worksheets/sheet1.xml", lambda stream: stream.write(
        sheet.replace("</sheetData>", rows_xml + "</sheetData>" + after_rows_xml).encode()))


def _merges(count: int, ref: str) -> str:
    return f'<mergeCells count="{count}">' + f'<mergeCell ref="{ref}"/>' * count + "</mergeCells>"


@pytest.mark.parametrize("name, data, reason", [
    ("value-in-column-201.xlsx",
     _far_workbook('<row r="3"><c r="GS3" t="inlineStr"><is><t>x</t></is></c></row>'),
     "too_many_columns"),
    ("row-a-trillion.xlsx",
     _far_workbook('<row r="999999999999"><c r="A999999999999" t="inlineStr"><is><t>x</t></is>'
                   '</c></row>'), "damaged"),
    ("column-202.xls", biff8([HEADER, ROWS[0] + [None] * (MAX_COLUMNS - len(ROWS[0])) + ["x"]]),
     "too_many_columns"),
    ("overlapping-merges.xlsx", _far_workbook(after_rows_xml=_merges(400, "A1:B2")), "damaged"),
    ("merges.xlsx", _far_workbook(after_rows_xml=_merges(MAX_MERGES + 1, "A1:A1")),
     "too_many_merges"),
    ("rows.csv", ",".join(HEADER).encode() + b"\r\n" + b"1,a\r\n" * (MAX_ROWS + 1),
     "too_many_rows"),
    ("cell.csv", ",".join(HEADER).encode() + b"\r\n1," + b"a" * (CELL_LIMIT + 1) + b"\r\n",
     "cell_too_long"),
    ("field.csv", ",".join(HEADER).encode() + b"\r\n1," + b"a" * 200_000 + b"\r\n",
     "cell_too_long"),
])
def test_a_file_beyond_what_any_register_holds_is_refused_with_its_reason(app, name, data,
                                                                         reason):
    with app.app_context():
        with pytest.raises(UnreadableFile) as refused:
            read_table(name, data)
        assert refused.value.reason == reason
        assert str(refused.value.message)  # said in words, in the catalogue's language


def test_blank_cells_far_to_the_right_are_not_columns(app):
    # Excel keeps a formatted empty cell as a cell; a CSV saved from it, its commas.
    far = _far_workbook('<row r="3"><c r="A3" t="inlineStr"><is><t>Nguyễn Văn Tý</t></is></c>'
                        '<c r="XFD3" s="0"/></row>')
    commas = _csv([ROWS[0]], HEADER + [""] * 5_000)
    with app.app_context():
        assert len(read_table("far.xlsx", far).headers) == len(HEADER)
        assert len(read_table("commas.csv", commas).headers) == len(HEADER)


def test_an_address_longer_than_stored_is_cut_and_the_import_goes_through(app, client, world):
    # Under the bound of a broken row, over the 255 characters a household's address is kept
    # in: PostgreSQL refused the whole import for it.
    from portal.residents.models import Household, Resident

    row = ["11", "Trương Văn Bình", "01/01/1980", "Nam", "", "", "Số 5 đường Trần Phú " * 15,
           "Khu vực 2", ""]
    client.login("commune_lead")
    first = _import(app, client, "dai.csv", _csv(ROWS[:2] + [row]))
    again = _import(app, client, "dai.csv", _csv(ROWS[:2] + [row]))
    with app.app_context():
        assert db.session.get(Import, first).state is ImportState.DONE
        assert db.session.get(Import, again).unchanged == 3  # the household is known again
        binh = db.session.scalars(select(Resident).where(
            Resident.full_name == "Trương Văn Bình")).one()
        address = db.session.get(Household, binh.household_id).address
        assert address.startswith("Số 5 đường Trần Phú") and len(address) <= 255
