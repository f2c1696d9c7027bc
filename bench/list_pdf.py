"""Rows: time to render the official PDF of a compliance list, against one naive WeasyPrint pass.

The figure is `portal.lists.pdf.render_pdf` on a list of 3,000 and of 10,000 residents made up
from the demo's names and streets (many addresses, reasons and notes wrap to two lines, as on
real lists): the table cut into parts of whole pages, each numbering its own, two WeasyPrint
processes, pypdf merging. The baseline renders the same 3,000 rows the naive way, in this
process: the same template as one HTML document, page numbers from CSS counters, WeasyPrint's
defaults. The naive 10,000-row render is not run: at the same cost a row it takes minutes.
The rows do not read the database: measured once.
"""

from __future__ import annotations

import io
import random
import time

from bench.common import SQLITE, Backend, Row, Settings, median, note

DATABASES = (SQLITE,)
SIZES = ((3_000, 5.0), (10_000, 20.0))  # rows, target in seconds
NAIVE_SIZE = 3_000
RUNS = 3
QUICK_RUNS = 1
REASONS = (
    ("Từ chối tiêm", "Gia đình không đồng ý, hẹn vận động lại"),
    ("Vắng nhà", "Đi làm ăn xa tại TP. Hồ Chí Minh"),
    ("Tạm hoãn tiêm", "Đang sốt, hẹn tiêm lại sau 7 ngày"),
    ("Chống chỉ định", "Tiền sử sốc phản vệ độ 3"),
    ("Tiêm tại nhà", "Nằm liệt giường, cần đội tiêm lưu động"),
    ("Đang điều trị tại bệnh viện", "Bệnh viện Đa khoa TP. Cần Thơ"),
    ("Đồng ý tiêm, chưa được tiêm", ""),
    ("Chưa rà soát", ""),
)


def title(settings: Settings) -> str:
    return "official list PDF (WeasyPrint in parts, 2 processes)"


def sample_document(rows: int, *, seed: int = 2022, hamlets: int = 12):
    """A ward's list of `rows` residents over `hamlets` hamlets, the same for a given seed."""
    from portal.demo.names import FAMILY_NAMES, GIVEN_NAMES, MIDDLE_NAMES, STREETS
    from portal.lists.document import ListDocument, ListRow

    chance = random.Random(seed)

    def pick(weighted):
        names, weights = zip(*weighted)
        return chance.choices(names, weights)[0]

    residents = []
    for index in range(rows):
        sex, age = chance.choice(("male", "female")), chance.choice(("older", "younger"))
        year = chance.randint(1935, 1990) if age == "older" else chance.randint(1991, 2010)
        birth = str(year) if chance.random() < 0.2 else (
            f"{chance.randint(1, 28):02d}/{chance.randint(1, 12):02d}/{year}")
        reason, detail = chance.choice(REASONS)
        residents.append(ListRow(
            hamlet=f"Khu vực {index * hamlets // rows + 1}",
            full_name=f"{pick(FAMILY_NAMES)} {pick(MIDDLE_NAMES[sex, age])} "
                      f"{pick(GIVEN_NAMES[sex, age])}",
            birth=birth, sex="Nam" if sex == "male" else "Nữ",
            id_number_masked=f"********{chance.randint(0, 9999):04d}",
            address=f"Số {chance.randint(1, 300)}/{chance.randint(1, 40)}, "
                    f"đường {chance.choice(STREETS)}",
            doses=chance.choice((0, 1, 2, 2, 3)), reason=reason, detail=detail,
        ))
    return ListDocument(
        issuing_body="ỦY BAN NHÂN DÂN\nPHƯỜNG CÁI KHẾ",
        document_number="Số: 12/DS-UBND",
        place_and_date="Cái Khế, ngày 05 tháng 01 năm 2022",
        title="DANH SÁCH",
        subject="Người trong diện chưa tiêm mũi nhắc lại lần 1 (mũi 3) vắc xin phòng COVID-19 "
                "trên địa bàn phường",
        rows=residents,
        signer_caption=["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
        signer_name="Nguyễn Văn Hùng",
        recipients=["- UBND Quận Ninh Kiều;", "- Trung tâm Y tế Quận Ninh Kiều;", "- Lưu: VT."],
        draft=False,
        approved_note="Đã phê duyệt bởi Trần Thị Mai (Phòng Y tế Quận Ninh Kiều) lúc 10:30 "
                      "ngày 06/01/2022",
    )


def render_naive(document) -> bytes:
    """The whole list as one WeasyPrint document, with WeasyPrint's defaults."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from portal.lists import pdf
    from portal.lists.fonts import font_faces_css
    from portal.lists.planning import Part, entries_of

    document = pdf._normalised(document)
    everything = Part(entries=entries_of(document), first=True, last=True)
    font_config = FontConfiguration()
    fonts = CSS(string=font_faces_css(), font_config=font_config)
    html = pdf.part_html(document, everything, inline_marks=True)
    return HTML(string=html).write_pdf(stylesheets=[fonts], font_config=font_config)


def timed(render, document) -> tuple[float, bytes]:
    started = time.perf_counter()
    pdf = render(document)
    return time.perf_counter() - started, pdf


def pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def run(backend: Backend, settings: Settings) -> list[Row]:
    from portal.lists.pdf import render_pdf

    runs = QUICK_RUNS if settings.quick else RUNS
    rows = []
    for size, target in SIZES:
        document = sample_document(size)
        figures, naive = [], []
        for attempt in range(runs):
            note(f"list PDF, {size:,} rows, run {attempt + 1}/{runs}")
            seconds, pdf = timed(render_pdf, document)
            figures.append(seconds)
            if size == NAIVE_SIZE:  # alternating with the figure's runs, on the same machine
                note(f"list PDF, {size:,} rows, naive single pass, run {attempt + 1}/{runs}")
                naive_seconds, naive_pdf = timed(render_naive, document)
                naive.append(naive_seconds)
        figure = median(figures)
        ms_a_row = figure / size * 1000
        row = Row(
            benchmark=f"list PDF, {size:,} residents", database=backend.label,
            figure=f"{figure:.1f} s ({ms_a_row:.1f} ms a row; {pages(pdf)} pages, "
                   f"{len(pdf) / 1e6:.1f} MB)",
            target=f"≤ {target:.0f} s: {'met' if figure <= target else 'MISSED'}",
            runs=f"{runs}, median",
        )
        if naive:
            slow = median(naive)
            row.baseline = (f"naive single pass {slow:.1f} s ({slow / size * 1000:.1f} ms a row; "
                            f"{pages(naive_pdf)} pages, {len(naive_pdf) / 1e6:.1f} MB)")
            row.ratio = f"{slow / figure:.1f}× faster"
        else:
            row.baseline = "naive single pass not run (minutes at the 3,000-row cost a row)"
        rows.append(row)
    return rows
