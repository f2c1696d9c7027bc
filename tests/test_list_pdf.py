"""The official PDF of a compliance list: layout marks, fonts, pages, escaping, same bytes."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from portal.lists.document import ListDocument, ListRow
from portal.lists.pdf import _normalised, render_parts, render_pdf
from portal.lists.planning import CHILDREN_LAYOUT, HEADERS, LAYOUT, Column, plan_parts

HAMLETS = ("Khu vực 1", "Khu vực 2", "Khu vực 3", "Khu vực 4")
NAMES = (
    "Nguyễn Thị Ánh Tuyết", "Trần Văn Đức", "Lê Thị Hồng Nhung", "Phạm Quốc Khánh",
    "Huỳnh Ngọc Bảo Trâm", "Võ Thành Lộc", "Đặng Thị Mỹ Duyên", "Bùi Hữu Nghĩa",
    "Hồ Thị Phượng", "Ngô Minh Triết", "Dương Văn Ủy", "Lý Thị Kiều Oanh",
    "Trương Công Định", "Thạch Thị Sa Rươl", "Châu Ngọc Ẩn", "Quách Thị Ngọc Ửng",
)
FAMILIES = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Đỗ", "Hồ", "Dương")
GIVEN = ("Thị Lệ", "Văn Cường", "Hữu Thắng", "Ngọc Hiền", "Thị Ửng", "Quốc Ẩn", "Kim Yến")
REASONS = (
    ("Từ chối tiêm", "Gia đình không đồng ý, hẹn vận động lại"),
    ("Vắng nhà", "Đi làm ăn xa tại TP. Hồ Chí Minh"),
    ("Tạm hoãn tiêm", "Đang sốt, hẹn tiêm lại sau 7 ngày"),
    ("Tiêm tại nhà", "Nằm liệt giường, cần đội tiêm lưu động"),
    ("Chống chỉ định", ""),
)
SCRIPT_NAME = "<script>alert(1)</script>"
APPROVED_NOTE = ("Đã phê duyệt bởi Trần Thị Mai (Phòng Y tế Quận Ninh Kiều) "
                 "lúc 10:30 ngày 06/01/2022")


def make_rows(count: int) -> list[ListRow]:
    """Residents spread over the hamlets, in hamlet order, every name distinct."""
    rows = []
    for index in range(count):
        hamlet = HAMLETS[index * len(HAMLETS) // count]
        if index < len(NAMES):
            name = NAMES[index]
        else:
            number = index - len(NAMES)
            family = FAMILIES[number % len(FAMILIES)]
            name = f"{family} {GIVEN[number // len(FAMILIES) % len(GIVEN)]}"
        if index == count // 2:
            name = SCRIPT_NAME
        reason, detail = REASONS[index % len(REASONS)]
        rows.append(ListRow(
            hamlet=hamlet, full_name=name,
            birth=(f"{index % 28 + 1:02d}/{index % 12 + 1:02d}/{1940 + index % 60}"
                   if index % 5 else "1958"),
            sex="Nữ" if "Thị" in name else "Nam", id_number_masked=f"********{index:04d}",
            address=f"Số {index + 1}/{index % 9 + 2}, đường Trần Hưng Đạo", doses=index % 3,
            reason=reason, detail=detail,
        ))
    return rows


def make_document(rows: list[ListRow], *, draft: bool) -> ListDocument:
    return ListDocument(
        issuing_body="ỦY BAN NHÂN DÂN\nPHƯỜNG CÁI KHẾ",
        document_number="Số: 12/DS-UBND",
        place_and_date="Cái Khế, ngày 05 tháng 01 năm 2022",
        title="DANH SÁCH",
        subject="Người trong diện chưa tiêm mũi nhắc lại lần 1 (mũi 3) vắc xin phòng COVID-19",
        rows=rows,
        signer_caption=["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
        signer_name="Nguyễn Văn Hùng",
        recipients=["- UBND Quận Ninh Kiều;", "- Trung tâm Y tế Quận Ninh Kiều;", "- Lưu: VT."],
        draft=draft,
        approved_note=None if draft else APPROVED_NOTE,
    )


@pytest.fixture(scope="module")
def rows() -> list[ListRow]:
    return make_rows(70)


@pytest.fixture(scope="module")
def draft(rows) -> bytes:
    # Parts of two pages: several WeasyPrint documents, rendered in worker processes, merged.
    return render_pdf(make_document(rows, draft=True), pages_per_part=2)


@pytest.fixture(scope="module")
def approved(rows) -> bytes:
    return render_pdf(make_document(rows, draft=False))


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_heading_has_the_motto_the_ward_the_number_and_the_title(draft):
    first = page_texts(draft)[0]
    for text in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "ỦY BAN NHÂN DÂN", "PHƯỜNG CÁI KHẾ", "Số: 12/DS-UBND",
                 "Cái Khế, ngày 05 tháng 01 năm 2022", "DANH SÁCH"):
        assert text in first


def test_every_resident_is_printed_with_diacritics_intact(draft, approved, rows):
    for pdf in (draft, approved):
        text = "\n".join(page_texts(pdf))
        for row in rows:
            assert row.full_name in text


def test_a_name_with_markup_is_printed_as_text(approved):
    assert SCRIPT_NAME in "\n".join(page_texts(approved))


def test_the_list_runs_over_several_pages_each_with_the_table_header(draft, approved):
    for pdf in (draft, approved):
        texts = page_texts(pdf)
        assert len(texts) >= 3
        for text in texts[1:]:
            assert "Họ và tên" in text and "Địa chỉ" in text and "Lý do" in text


def test_every_page_is_numbered_out_of_the_total(draft, approved):
    for pdf in (draft, approved):
        texts = page_texts(pdf)
        total = len(texts)
        for number, text in enumerate(texts, start=1):
            assert f"Trang {number}/{total}" in text
        assert "Trang 1/" in texts[0] and f"Trang {total}/{total}" in texts[-1]


def test_hamlets_have_subtotals_and_the_list_a_total(draft, rows):
    text = "\n".join(page_texts(draft))
    for hamlet in HAMLETS:
        count = sum(row.hamlet == hamlet for row in rows)
        assert f"Cộng {hamlet}: {count} người" in text
        assert len(re.findall(rf"\b{hamlet}\b", text)) >= 2  # its heading and its subtotal
    assert f"Tổng cộng: {len(rows)} người" in text


def test_the_signature_closes_the_list_beside_the_recipients(draft):
    last = page_texts(draft)[-1]
    for text in ("Nơi nhận:", "- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH",
                 "PHÓ CHỦ TỊCH", "Nguyễn Văn Hùng"):
        assert text in last
    # The last page carries rows of the table too, never the signature alone.
    assert "Họ và tên" in last and "Tổng cộng" in last


def test_a_draft_is_marked_on_every_page(draft):
    for text in page_texts(draft):
        assert "DỰ THẢO" in text
    assert APPROVED_NOTE not in "\n".join(page_texts(draft))


def test_an_approved_list_is_unmarked_and_shows_its_approval(approved):
    texts = page_texts(approved)
    assert not any("DỰ THẢO" in text for text in texts)
    assert all(APPROVED_NOTE in text for text in texts)


def test_fonts_are_tinos_and_embedded_once(draft):
    reader = PdfReader(io.BytesIO(draft))
    names, files = set(), set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            embedded = [key for key in ("/FontFile", "/FontFile2", "/FontFile3")
                        if key in descriptor]
            assert embedded, f"{font['/BaseFont']} is not embedded"
            files.add(descriptor.raw_get(embedded[0]).idnum)
    assert names and all("+Tinos" in name for name in names), names
    # Regular, bold and italic, each one font with the Latin and Vietnamese letters: each
    # file once, whatever the parts.
    assert {"Tinos", "Tinos-Bold", "Tinos-Italic"} <= {name.split("+", 1)[1] for name in names}
    assert len(files) <= 4


def test_the_same_list_gives_the_same_file(rows):
    document = make_document(rows, draft=False)
    first, second = render_pdf(document), render_pdf(document)
    assert page_texts(first) == page_texts(second)
    assert first == second


def test_the_same_list_gives_the_same_file_in_another_process_without_workers(tmp_path):
    # Nothing of the moment may creep in, such as the date of the fonts merged for the file,
    # nor of the machine: a task queue's daemonic worker renders the parts in one process.
    script = (
        "import multiprocessing, sys; sys.path[:0] = sys.argv[2:]\n"
        "from test_list_pdf import make_document, make_rows\n"
        "from portal.lists.pdf import render_pdf\n"
        "def render(path):\n"
        "    open(path, 'wb').write(render_pdf(make_document(make_rows(30), draft=False)))\n"
        "if __name__ == '__main__':\n"
        "    worker = multiprocessing.Process(target=render, args=(sys.argv[1],), daemon=True)\n"
        "    worker.start()\n"
        "    worker.join()\n"
        "    sys.exit(worker.exitcode)\n"
    )
    out = tmp_path / "list.pdf"
    tests = Path(__file__).resolve().parent
    subprocess.run([sys.executable, "-c", script, str(out), str(tests), str(tests.parent)],
                   check=True)
    assert out.read_bytes() == render_pdf(make_document(make_rows(30), draft=False))


def test_a_pdf_render_leaves_the_temporary_directory_as_it_found_it(tmp_path):
    # A process of its own, as a server is, whose temporary directory is a fresh folder: its
    # workers, and the server process that forks them, start from it too. After a list in
    # workers, one in this process, and one that fails half-way (its progress raises),
    # nothing of WeasyPrint's may be left there. Only multiprocessing's folder for the
    # workers' server (pymp-*) lives as long as the process, and goes with it.
    script = (
        "import multiprocessing, os, sys, tempfile; sys.path[:0] = sys.argv[1:]\n"
        "from test_list_pdf import make_document, make_rows\n"
        "from portal.lists.pdf import render_pdf\n"
        "def left():\n"
        "    return sorted(n for n in os.listdir(tempfile.gettempdir()) if not n.startswith('pymp-'))\n"
        "def stop(share):\n"
        "    raise RuntimeError('the render stops here')\n"
        "if __name__ == '__main__':\n"
        "    render_pdf(make_document(make_rows(30), draft=True), pages_per_part=2)\n"
        "    print('workers', left())\n"
        "    render_pdf(make_document(make_rows(5), draft=True))\n"
        "    print('alone', left())\n"
        "    try:\n"
        "        render_pdf(make_document(make_rows(30), draft=True), pages_per_part=2,\n"
        "                   progress=stop)\n"
        "    except RuntimeError:\n"
        "        print('failed', left())\n"
    )
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    tests = Path(__file__).resolve().parent
    done = subprocess.run([sys.executable, "-c", script, str(tests), str(tests.parent)],
                          check=True, capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(temporary)})
    assert done.stdout.splitlines() == ["workers []", "alone []", "failed []"]
    assert os.listdir(temporary) == []


def test_parts_fill_the_pages_planned_for_them(rows, approved):
    document = make_document(rows, draft=False)
    planned = sum(part.pages for part in plan_parts(document))
    assert len(PdfReader(io.BytesIO(approved)).pages) == planned
    # One page per part: each part must fit its page exactly, or the numbers would be off.
    one_page_parts = plan_parts(document, pages_per_part=1)
    assert all(part.pages == 1 for part in one_page_parts)
    assert len(one_page_parts) == planned


def test_an_empty_list_still_renders(rows):
    document = make_document([], draft=True)
    texts = page_texts(render_pdf(document))
    assert len(texts) == 1 and "Tổng cộng: 0 người" in texts[0] and "Trang 1/1" in texts[0]


def test_pages_are_numbered_from_the_parts_as_rendered_when_the_plan_is_off(rows):
    document = _normalised(make_document(rows, draft=True))
    parts = plan_parts(document, pages_per_part=2)
    parts[0] = dataclasses.replace(parts[0], pages=parts[0].pages + 1)  # a plan one page out
    texts = page_texts(render_parts(document, parts))
    total = len(texts)
    assert total == sum(part.pages for part in parts) - 1
    for number, text in enumerate(texts, start=1):
        assert f"Trang {number}/{total}" in text


def test_a_word_wider_than_its_cell_breaks_inside_it(rows):
    # Z and W are no Vietnamese letters: every one on the page is from these two words.
    wide = [dataclasses.replace(rows[0], address="Khóm" + "Z" * 40 + "Ấp",
                                detail="W" * 60 + " hẹn lại")]
    text = page_texts(render_pdf(make_document(wide + rows[1:5], draft=False)))[0]
    for letter, count in (("Z", 40), ("W", 60)):
        pieces = re.findall(f"{letter}+", text)
        # Cut over several lines, all of it printed: it did not run on past its column.
        assert len(pieces) >= 2 and sum(map(len, pieces)) == count


def test_the_file_is_marked_as_vietnamese(approved):
    assert PdfReader(io.BytesIO(approved)).trailer["/Root"]["/Lang"] == "vi"


def test_the_progress_hears_each_part_and_ends_at_one():
    heard = []
    render_pdf(make_document(make_rows(300), draft=False), pages_per_part=4,
               progress=heard.append)
    assert len(heard) >= 2 and heard == sorted(heard) and heard[-1] == 1.0


def test_both_tables_fill_the_width_between_the_margins():
    for layout in (LAYOUT, CHILDREN_LAYOUT):
        width = layout.page_width - layout.margin_left - layout.margin_right
        assert sum(column.width for column in layout.columns) == width == 252
    # Decree 30/2020: left 30-35 mm, right 15-20 mm, top and bottom 20-25 mm.
    assert (CHILDREN_LAYOUT.margin_left, CHILDREN_LAYOUT.margin_right) == (30, 15)
    assert LAYOUT.columns == tuple(Column(*column) for column in HEADERS)  # the adults' as before


def test_a_childrens_list_prints_each_guardian_on_the_pages_planned_for_them(rows):
    guardians = ("Nguyễn Thị Ngọc Hân, 0912345678", "Trần Văn Nam, 0387654321", "",
                 "0987654321")
    children = [dataclasses.replace(row, guardian=guardians[index % len(guardians)])
                for index, row in enumerate(rows)]
    document = dataclasses.replace(make_document(children, draft=False), guardian_column=True)
    pdf = render_pdf(document)
    texts = page_texts(pdf)
    assert len(texts) == sum(part.pages for part in plan_parts(document)) >= 3
    for text in texts:
        assert "Họ tên, SĐT người" in text and "giám hộ" in text and "Ghi chú" in text
    whole = "\n".join(texts)
    assert "Nguyễn Thị Ngọc Hân," in whole and "0912345678" in whole
    assert whole.count("0387654321") == sum("0387654321" in row.guardian for row in children)
    one_page_parts = plan_parts(document, pages_per_part=1)
    assert all(part.pages == 1 for part in one_page_parts)
    assert len(PdfReader(io.BytesIO(render_parts(_normalised(document), one_page_parts))).pages) \
        == len(one_page_parts)
