"""The official PDF of a compliance list (Decree 30/2020/NĐ-CP), rendered by WeasyPrint in parts."""

from __future__ import annotations

import functools
import io
import math
import multiprocessing
import os
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

PORTAL = Path(__file__).resolve().parent.parent
# From the pinned npm package @fontsource/tinos, unpacked to TrueType by `make setup` (see the
# Makefile). Tinos is metric-compatible with Times New Roman, the face the decree asks for.
# Fontsource ships it in subsets: Latin covers ASCII and Latin-1 (à, á, â, è, ô...), Vietnamese
# the rest (ă, đ, ơ, ư, ạ...ỹ); both are loaded for each of the four faces.
FONT_DIR = PORTAL / "static" / "vendor" / "fonts"
FONT_FACES = (("normal", 400), ("italic", 400), ("normal", 700), ("italic", 700))
# Each subset is declared as a family of its own, the Vietnamese one as the fallback of the
# Latin one: WeasyPrint 70 keys embedded fonts by family and style, so two files declared as
# one family with unicode-range would be embedded as one and print the wrong glyphs.
FONT_SUBSETS = {"latin": "Tinos", "vietnamese": "Tinos Vietnamese"}
FONT_FAMILY = ", ".join(FONT_SUBSETS.values())

# About a dozen pages per part: WeasyPrint's fixed cost per document (some 40 ms) stays
# small beside the part's rows, and two workers share a long list evenly. (A row costs the
# same whatever the length of the table: the gain is the second CPU, and less wasted work.)
PAGES_PER_PART = 12
MAX_WORKERS = 2
# A part is planned to fill its pages to this height less a little, so that a row the
# estimate makes a hair too short never pushes a part onto a page of its own.
PAGE_SLACK_PT = 6.0
PT_PER_MM = 72 / 25.4

# The document is Vietnamese by law whatever language the user reads the portal in: its fixed
# words live here and in the template rather than in the translation catalogue.
HEADERS = (
    ("STT", 10),
    ("Họ và tên", 42),
    ("Ngày sinh", 20),
    ("Giới tính", 12),
    ("Số CCCD/ CMND", 27),
    ("Địa chỉ", 50),
    ("Số mũi đã tiêm", 15),
    ("Lý do", 38),
    ("Ghi chú", 38),
)


@dataclass(frozen=True)
class ListRow:
    """One resident on the list, as it is printed."""

    hamlet: str
    full_name: str
    birth: str  # "dd/mm/yyyy", or the year alone
    sex: str  # "Nam" or "Nữ"
    id_number_masked: str
    address: str
    doses: int
    reason: str
    detail: str


@dataclass(frozen=True)
class ListDocument:
    """Everything printed on a list; rows come ordered by hamlet.

    issuing_body is printed line by line ("ỦY BAN NHÂN DÂN\\nPHƯỜNG CÁI KHẾ"), in bold; when it
    has three lines or more, the first names the body above (UBND QUẬN NINH KIỀU) and is not bold.
    """

    issuing_body: str
    document_number: str
    place_and_date: str
    title: str
    subject: str
    rows: Sequence[ListRow]
    signer_caption: Sequence[str]
    signer_name: str
    recipients: Sequence[str]
    draft: bool
    approved_note: str | None = None


@dataclass(frozen=True)
class Column:
    """A column of the table: its heading and its width in mm."""

    header: str
    width: float


@dataclass(frozen=True)
class Layout:
    """Page and table geometry, shared by the template and the row-height estimate."""

    # A4 landscape; Decree 30/2020: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
    page_width: float = 297
    page_height: float = 210
    margin_top: float = 20
    margin_bottom: float = 20
    margin_left: float = 30
    margin_right: float = 15
    cell_size: float = 11  # pt
    cell_line: float = 13  # pt
    pad_y: float = 2  # pt
    pad_x: float = 3  # pt
    border: float = 0.5  # pt
    columns: tuple[Column, ...] = tuple(Column(h, w) for h, w in HEADERS)

    @property
    def body_height(self) -> float:
        """Height of the page area in pt."""
        return (self.page_height - self.margin_top - self.margin_bottom) * PT_PER_MM


LAYOUT = Layout()


@dataclass(frozen=True)
class Entry:
    """A line of the table: a hamlet's heading, a resident, a hamlet's subtotal, or the total."""

    kind: str  # "group", "row", "subtotal", "total"
    number: str = ""
    label: str = ""
    row: ListRow | None = None
    height: float = 0.0  # estimated, pt


@dataclass
class Part:
    """Consecutive whole pages of the list, rendered as one WeasyPrint document."""

    entries: list[Entry] = field(default_factory=list)
    pages: int = 0
    first: bool = False
    last: bool = False


# --- the public function -------------------------------------------------------------------


def render_pdf(document: ListDocument, *, pages_per_part: int = PAGES_PER_PART) -> bytes:
    """The list as a PDF: same input, same bytes.

    The table is cut into parts of whole pages, each laid out by WeasyPrint on its own (two
    processes at once) and merged with pypdf; then the page numbers "Trang x/y" are stamped on
    every page from one more small document.
    """
    _check_fonts()
    document = _normalised(document)
    parts = plan_parts(document, pages_per_part)
    planned = sum(part.pages for part in parts)
    # The page numbers are rendered beside the parts, for the planned number of pages.
    *pdfs, marks = _render_all(
        [part_html(document, part) for part in parts] + [marks_html(document, planned)]
    )
    return _assemble(document, pdfs, marks)


# --- planning: which rows go in which part -------------------------------------------------


def entries_of(document: ListDocument) -> list[Entry]:
    """The table's lines: per hamlet a heading, its residents and a subtotal; then the total."""
    entries: list[Entry] = []
    number = 0
    groups = 0
    index = 0
    rows = document.rows
    while index < len(rows):
        hamlet = rows[index].hamlet
        groups += 1
        entries.append(Entry("group", _roman(groups), hamlet))
        start = index
        while index < len(rows) and rows[index].hamlet == hamlet:
            number += 1
            entries.append(Entry("row", str(number), row=rows[index]))
            index += 1
        entries.append(Entry("subtotal", label=f"Cộng {hamlet}: {_count(index - start)} người"))
    entries.append(Entry("total", label=f"Tổng cộng: {_count(len(rows))} người"))
    return [_with_height(entry) for entry in entries]


def plan_parts(document: ListDocument, pages_per_part: int = PAGES_PER_PART) -> list[Part]:
    """Cut the table into parts of whole pages, from the estimated height of each line.

    WeasyPrint paginates inside a part; the estimate only decides where a part ends, and errs
    on the tall side, so each part's pages are full but its last, which may be short a row.
    Lines the template keeps together (break-before/after: avoid) are kept together here too:
    a hamlet's heading with its first resident, its last resident with its subtotal, and the
    last lines of the table with the closing block, so that no page holds a signature alone.
    """
    room = LAYOUT.body_height - PAGE_SLACK_PT
    header = header_height()
    entries = entries_of(document)
    parts = [Part(first=True)]
    used = heading_height(document) + header
    page_started = True
    closing = closing_height(document)
    for position, entry in enumerate(entries):
        if position == 0 or not _kept_together(entries[position - 1], entry):
            need = _run_height(entries, position, closing)
            if used + need > room and not page_started:
                part = parts[-1]
                part.pages += 1
                if part.pages >= pages_per_part:
                    parts.append(Part())
                used = header
        parts[-1].entries.append(entry)
        used += entry.height
        page_started = False
    parts[-1].pages += 1
    parts[-1].last = True
    return parts


def _kept_together(before: Entry, after: Entry) -> bool:
    """Whether no page may fall between two consecutive lines of the table."""
    return before.kind == "group" or after.kind in ("subtotal", "total")


def _run_height(entries: list[Entry], position: int, closing: float) -> float:
    """Height of the lines from `position` that must share its page, closing block included."""
    height = entries[position].height
    position += 1
    while position < len(entries) and _kept_together(entries[position - 1], entries[position]):
        height += entries[position].height
        position += 1
    if position == len(entries):
        height += closing
    return height


def heading_height(document: ListDocument) -> float:
    """Estimated height in pt of the heading on page 1, above the table."""
    issuer = len(_issuer_lines(document)) * 15 + 2 + 0.75 + 6 + 15
    motto = 15 + 19 + 6 + 15
    subject = _line_count(document.subject, _content_width() * 0.8, 14, bold=True) * 16
    return max(issuer, motto) + 15 + 16 + subject + 9


def closing_height(document: ListDocument) -> float:
    """Estimated height in pt of the closing block: "Nơi nhận:" and the signature."""
    width = _content_width() / 2
    recipients = 13 + sum(_line_count(line, width, 11, bold=False) * 13
                          for line in document.recipients)
    signer = (len(document.signer_caption) + 1) * 16 + 25 * PT_PER_MM
    return 12 + max(recipients, signer)


def header_height() -> float:
    """Estimated height in pt of the table's header row."""
    layout = LAYOUT
    lines = max(
        _line_count(column.header, _cell_width(column), layout.cell_size, bold=True)
        for column in layout.columns
    )
    return lines * layout.cell_line + 2 * layout.pad_y + layout.border


def _with_height(entry: Entry) -> Entry:
    layout = LAYOUT
    if entry.kind == "row":
        row = entry.row
        texts = (entry.number, row.full_name, row.birth, row.sex, row.id_number_masked,
                 row.address, str(row.doses), row.reason, row.detail)
        lines = max(
            _line_count(text, _cell_width(column), layout.cell_size, bold=False)
            for text, column in zip(texts, layout.columns)
        )
    elif entry.kind == "group":
        width = sum(_cell_width(column) for column in layout.columns[1:])
        lines = _line_count(entry.label, width, layout.cell_size, bold=True)
    else:
        width = sum(_cell_width(column) for column in layout.columns)
        lines = _line_count(entry.label, width, layout.cell_size, bold=True)
    height = lines * layout.cell_line + 2 * layout.pad_y + layout.border
    return Entry(entry.kind, entry.number, entry.label, entry.row, height)


def _content_width() -> float:
    layout = LAYOUT
    return (layout.page_width - layout.margin_left - layout.margin_right) * PT_PER_MM


def _cell_width(column: Column) -> float:
    layout = LAYOUT
    return column.width * PT_PER_MM - 2 * layout.pad_x - layout.border


@functools.cache
def _advances(bold: bool) -> dict[str, float]:
    """Advance width of each character of Tinos, in em, from the font files themselves."""
    from fontTools.ttLib import TTFont

    weight = 700 if bold else 400
    widths: dict[str, float] = {}
    for subset in FONT_SUBSETS:  # Latin first: it is first in the CSS family list too
        font = TTFont(FONT_DIR / f"tinos-{subset}-{weight}-normal.ttf")
        upem = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        for codepoint, glyph in font.getBestCmap().items():
            widths.setdefault(chr(codepoint), metrics[glyph][0] / upem)
    return widths


def _text_width(text: str, size: float, bold: bool) -> float:
    advances = _advances(bold)
    # A character outside both subsets would come from a fallback font: count it wide.
    return size * sum(advances.get(char, 1.0) for char in text)


def _line_count(text: str, width: float, size: float, bold: bool) -> int:
    """Lines the text takes in a box `width` pt wide, wrapped at spaces.

    Errs long, never short: kerning is ignored (it only tightens Tinos), and Pango may also
    break after a hyphen or a slash. A word longer than the box breaks anywhere, as the
    template's overflow-wrap: break-word does.
    """
    words = text.split()
    if not words:
        return 1
    space = _text_width(" ", size, bold)
    lines, used = 1, 0.0
    for word in words:
        wide = _text_width(word, size, bold)
        if used and used + space + wide <= width:
            used += space + wide
            continue
        if used:
            lines += 1
        if wide <= width:
            used = wide
        else:
            extra = math.ceil(wide / width) - 1
            lines += extra
            used = wide - extra * width
    return lines


def _roman(number: int) -> str:
    numerals = (("M", 1000), ("CM", 900), ("D", 500), ("CD", 400), ("C", 100), ("XC", 90),
                ("L", 50), ("XL", 40), ("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1))
    out = []
    for letters, value in numerals:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def _count(number: int) -> str:
    """A count written the Vietnamese way: 3.000."""
    return f"{number:,}".replace(",", ".")


# --- HTML ----------------------------------------------------------------------------------


@functools.cache
def _templates() -> Environment:
    """The portal's templates, autoescaped, without a Flask app: workers and scripts use it."""
    return Environment(
        loader=FileSystemLoader(PORTAL / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=False,
    )


def _issuer_lines(document: ListDocument) -> list[str]:
    return [line.strip() for line in document.issuing_body.splitlines() if line.strip()]


def part_html(document: ListDocument, part: Part, *, inline_marks: bool = False) -> str:
    """The HTML of one part; inline_marks numbers its pages with CSS counters (single pass)."""
    issuer = _issuer_lines(document)
    return _templates().get_template("lists/pdf.html").render(
        doc=document, layout=LAYOUT, entries=part.entries, first=part.first, last=part.last,
        issuer_lines=issuer, superior_lines=1 if len(issuer) >= 3 else 0,
        inline_marks=inline_marks, font_family=FONT_FAMILY,
    )


def marks_html(document: ListDocument, total: int) -> str:
    """One page per page of the list, with only its number: "Trang x/y"."""
    return _templates().get_template("lists/pdf_marks.html").render(
        doc=document, layout=LAYOUT, total=total, font_family=FONT_FAMILY,
    )


def _normalised(document: ListDocument) -> ListDocument:
    """Text in NFC: a decomposed "ễ" would miss the font subsets' precomposed glyphs."""

    def nfc(text):
        return unicodedata.normalize("NFC", text) if isinstance(text, str) else text

    rows = [ListRow(**{name: nfc(value) for name, value in vars(row).items()})
            for row in document.rows]
    fields = {name: nfc(value) for name, value in vars(document).items() if name != "rows"}
    fields["signer_caption"] = [nfc(line) for line in document.signer_caption]
    fields["recipients"] = [nfc(line) for line in document.recipients]
    return ListDocument(rows=rows, **fields)


# --- WeasyPrint ----------------------------------------------------------------------------

# WeasyPrint's own user-agent sheet has rules for ::marker, ::footnote-call and the like that
# match every element, and computing those pseudo-elements for every cell of a long table is a
# quarter of the time. Our two templates style everything they use, so they get this short
# sheet instead: the display of each element they contain, nothing else.
USER_AGENT_CSS = """
head, meta, style, title { display: none }
html, body, div, p, h1, section { display: block }
table { display: table; box-sizing: border-box; border-spacing: 0 }
colgroup { display: table-column-group }
col { display: table-column }
thead { display: table-header-group }
tbody { display: table-row-group }
tr { display: table-row }
td, th { display: table-cell }
"""


def _check_fonts() -> None:
    missing = [path.name for path in _font_files() if not path.is_file()]
    if missing:
        raise RuntimeError(f"PDF fonts missing from {FONT_DIR} ({', '.join(missing)}): "
                           "run `make setup`")


def _font_files() -> list[Path]:
    return [FONT_DIR / f"tinos-{subset}-{weight}-{style}.ttf"
            for subset in FONT_SUBSETS for style, weight in FONT_FACES]


def _font_faces_css() -> str:
    rules = []
    for subset, family in FONT_SUBSETS.items():
        for style, weight in FONT_FACES:
            path = FONT_DIR / f"tinos-{subset}-{weight}-{style}.ttf"
            rules.append(
                f"@font-face {{ font-family: {family}; font-style: {style}; "
                f"font-weight: {weight}; src: url({path.as_uri()}) format('truetype'); }}"
            )
    return "\n".join(rules)


@functools.cache
def _weasyprint():
    """This process's HTML class, font configuration and @font-face sheet, made once."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    user_agent = CSS(string=USER_AGENT_CSS)

    class ListHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [user_agent]

    font_config = FontConfiguration()
    return ListHTML, font_config, CSS(string=_font_faces_css(), font_config=font_config)


def render_html(html: str) -> bytes:
    """One WeasyPrint document, in this process, with the list's fonts embedded."""
    list_html, font_config, fonts_css = _weasyprint()
    # Whole fonts rather than subsets: every part then embeds the same font files, which
    # pypdf keeps once when merging.
    return list_html(string=html, base_url=str(FONT_DIR)).write_pdf(
        stylesheets=[fonts_css], font_config=font_config, full_fonts=True,
    )


def _render_all(htmls: list[str]) -> list[bytes]:
    """Render the documents, in as many processes as there are CPUs to use (two at most)."""
    workers = min(len(htmls), _worker_count())
    if workers <= 1:
        return [render_html(html) for html in htmls]
    with ProcessPoolExecutor(max_workers=workers, mp_context=_process_context()) as pool:
        return list(pool.map(render_html, htmls))


def _worker_count() -> int:
    if multiprocessing.current_process().daemon:
        return 1  # a daemonic process (a task queue's worker, say) may not start children
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


@functools.cache
def _process_context():
    """Workers forked from a clean server process that has imported WeasyPrint once.

    Not a plain fork of the caller, which may be a web worker holding threads and connections.
    As with any multiprocessing start method but fork, the caller's main module must be
    importable without side effects (the usual `if __name__ == "__main__":`).
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["weasyprint", __name__])
    return context


# --- merging -------------------------------------------------------------------------------


def _assemble(document: ListDocument, pdfs: list[bytes], marks: bytes) -> bytes:
    """Merge the parts, stamp the page numbers on every page, keep shared fonts once."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    total = len(writer.pages)
    numbers = PdfReader(io.BytesIO(marks))
    if len(numbers.pages) != total:
        # A part took a page more or less than planned: number the pages it really has.
        numbers = PdfReader(io.BytesIO(render_html(marks_html(document, total))))
    for page, number in zip(writer.pages, numbers.pages, strict=True):
        page.merge_page(number)
        page.compress_content_streams()
    # Each part embeds the same font files; a pass keeps one of each identical object, and
    # the next can then merge what pointed to them: file, descriptor, CID font, font.
    for _ in range(4):
        writer.compress_identical_objects()
    # No dates and no random file identifier: the approved list is the same file every time.
    writer.add_metadata({
        "/Title": f"{document.title} {document.subject}",
        "/Creator": "Từng Nhà",
        "/Producer": "WeasyPrint, pypdf",
    })
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
