"""The official PDF of a compliance list (Decree 30/2020/NĐ-CP), rendered by WeasyPrint in parts."""

from __future__ import annotations

import base64
import contextlib
import functools
import gc
import io
import itertools
import math
import multiprocessing
import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape

if TYPE_CHECKING:
    from pypdf import PdfWriter

PORTAL = Path(__file__).resolve().parent.parent
# From the pinned npm package @fontsource/tinos, unpacked to TrueType by `make setup` (see the
# Makefile). Tinos is metric-compatible with Times New Roman, the face the decree asks for.
# Fontsource ships it in subsets: Latin covers ASCII and Latin-1 (à, á, â, è, ô...), Vietnamese
# the rest (ă, đ, ơ, ư, ạ...ỹ). For each of the four faces the two are merged into one font
# (see _merged_font): declared as two families, one the fallback of the other, they would cut
# every Vietnamese word into runs of one font and the other, each shaped and drawn on its own.
FONT_DIR = PORTAL / "static" / "vendor" / "fonts"
FONT_FACES = (("normal", 400), ("italic", 400), ("normal", 700), ("italic", 700))
FONT_SUBSETS = ("latin", "vietnamese")  # Latin first: its glyphs win where both have one
FONT_FAMILY = "Tinos"

# About eighteen pages per part: WeasyPrint's fixed cost per document (some 25 ms) stays
# small beside the part's rows, and two workers share a long list evenly, the more so as
# render_pdf makes the parts as many as a multiple of the workers, and as long as one another.
# (A row costs the same whatever the length of the table: the gain is the second CPU, and
# less wasted work.)
PAGES_PER_PART = 18
MAX_WORKERS = 2
# A part is planned to fill its pages to this height less a little, so that a row the
# estimate makes a hair too short never pushes a part onto a page of its own.
PAGE_SLACK_PT = 6.0
PT_PER_MM = 72 / 25.4

# The document is Vietnamese by law whatever language the user reads the portal in: its fixed
# words live here and in the template rather than in the translation catalogue.
HEADERS = (
    ("STT", 13),  # room for "10000" on one line
    ("Họ và tên", 42),
    ("Ngày sinh", 20),
    ("Giới tính", 12),
    ("Số CCCD/ CMND", 27),
    ("Địa chỉ", 47),
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
    long_word: bool = False  # a word wider than its cell, which must break anywhere


@dataclass
class Part:
    """Consecutive whole pages of the list, rendered as one WeasyPrint document."""

    entries: list[Entry] = field(default_factory=list)
    pages: int = 0
    first: bool = False
    last: bool = False


# --- the public function -------------------------------------------------------------------


def render_pdf(document: ListDocument, *, pages_per_part: int = PAGES_PER_PART,
               progress: Callable[[float], None] | None = None) -> bytes:
    """The list as a PDF: same input, same bytes.

    The table is cut into parts of whole pages, each laid out by WeasyPrint on its own (two
    processes at once), numbering its pages "Trang x/y" on from the pages planned before it,
    and the parts are merged with pypdf. progress, if given, hears the share of the parts
    done (0 to 1) as each arrives.
    """
    _check_fonts()
    with _collector_paused():
        document = _normalised(document)
        return render_parts(document, _balanced_parts(document, pages_per_part), progress)


def render_parts(document: ListDocument, parts: list[Part],
                 progress: Callable[[float], None] | None = None) -> bytes:
    """The planned parts of a normalised list, rendered, numbered and merged into one PDF."""
    planned = [part.pages for part in parts]
    writer, pages = _merged(document, parts, planned, progress)
    if pages != planned:
        # A part took a page more or less than planned, so the numbers printed from the plan
        # are wrong: render again, numbering the pages the parts really have (a part's
        # layout does not depend on its numbers, so once is enough).
        writer, pages = _merged(document, parts, pages)
    return _finished(document, writer)


def _merged(document: ListDocument, parts: list[Part], pages: list[int],
            progress: Callable[[float], None] | None = None) -> tuple[PdfWriter, list[int]]:
    """The parts merged in a pypdf writer, numbered as having `pages` pages each, and the
    pages each really has."""
    from pypdf import PdfReader, PdfWriter

    total = sum(pages)
    firsts = itertools.accumulate([1] + pages[:-1])
    htmls = [part_html(document, part, page_numbers=(first, total))
             for part, first in zip(parts, firsts)]
    writer = PdfWriter()
    counts = []
    # Each part is merged as soon as it is rendered, while the workers render the next.
    for pdf in _render_all(htmls):
        reader = PdfReader(io.BytesIO(pdf))
        counts.append(len(reader.pages))
        writer.append(reader)
        if progress is not None:
            progress(len(counts) / len(htmls))
    return writer, counts


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
    """Cut the table into parts of pages_per_part whole pages, the last maybe fewer."""
    pages = _plan_pages(document)
    return _joined(pages, range(0, len(pages), pages_per_part))


def _plan_pages(document: ListDocument) -> list[Part]:
    """Cut the table into pages, from the estimated height of each line: a part for each.

    WeasyPrint paginates inside a part; the estimate only decides where a part ends, and errs
    on the tall side, so each part's pages are full but its last, which may be short a row.
    Lines the template keeps together (break-before/after: avoid) are kept together here too:
    a hamlet's heading with its first resident, its last resident with its subtotal, and the
    last lines of the table with the closing block, so that no page holds a signature alone.
    """
    room = LAYOUT.body_height - PAGE_SLACK_PT
    header = header_height()
    entries = entries_of(document)
    pages = [Part(first=True)]
    used = heading_height(document) + header
    page_started = True
    closing = closing_height(document)
    for position, entry in enumerate(entries):
        if position == 0 or not _kept_together(entries[position - 1], entry):
            need = _run_height(entries, position, closing)
            if used + need > room and not page_started:
                pages[-1].pages = 1
                pages.append(Part())
                used = header
        pages[-1].entries.append(entry)
        used += entry.height
        page_started = False
    pages[-1].pages = 1
    pages[-1].last = True
    return pages


def _joined(pages: list[Part], starts: Iterable[int]) -> list[Part]:
    """The planned pages joined into parts, one beginning at each page of `starts`."""
    bounds = [*starts, len(pages)]
    return [Part(entries=[entry for page in pages[start:end] for entry in page.entries],
                 pages=end - start, first=start == 0, last=end == len(pages))
            for start, end in zip(bounds, bounds[1:])]


def _balanced_parts(document: ListDocument, pages_per_part: int) -> list[Part]:
    """Parts of about pages_per_part pages, as many as a multiple of the workers and as long
    as one another give or take a page, so that the workers finish them at the same time.

    Planned for MAX_WORKERS whatever the workers at hand: the parts decide where WeasyPrint
    must end a page, and the same list must give the same file wherever it is rendered.
    """
    pages = _plan_pages(document)
    count = min(len(pages), math.ceil(len(pages) / pages_per_part / MAX_WORKERS) * MAX_WORKERS)
    return _joined(pages, (round(part * len(pages) / count) for part in range(count)))


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
        wraps = [_wrap(text, width, layout.cell_size, bold=False)
                 for text, width in zip(texts, _cell_widths())]
        lines = max(lines for lines, _ in wraps)
        # Numbers from 1.000 on are wider than their narrow column: the template lets that
        # column break its words always, and the others only in rows flagged here.
        long_word = any(broken for _, broken in wraps[1:])
    else:
        columns = _cell_widths()[1:] if entry.kind == "group" else _cell_widths()
        lines, long_word = _wrap(entry.label, sum(columns), layout.cell_size, bold=True)
    height = lines * layout.cell_line + 2 * layout.pad_y + layout.border
    return Entry(entry.kind, entry.number, entry.label, entry.row, height, long_word)


def _content_width() -> float:
    layout = LAYOUT
    return (layout.page_width - layout.margin_left - layout.margin_right) * PT_PER_MM


def _cell_width(column: Column) -> float:
    layout = LAYOUT
    return column.width * PT_PER_MM - 2 * layout.pad_x - layout.border


@functools.cache
def _cell_widths() -> tuple[float, ...]:
    return tuple(_cell_width(column) for column in LAYOUT.columns)


@functools.cache
def _advances(bold: bool) -> dict[str, float]:
    """Advance width of each character of Tinos, in em, from the font the PDF embeds."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(_merged_font("normal", 700 if bold else 400)))
    upem = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    return {chr(codepoint): metrics[glyph][0] / upem
            for codepoint, glyph in font.getBestCmap().items()}


def _text_width(text: str, size: float, bold: bool) -> float:
    return size * _em_width(text, bold)


# Bounded: a web worker renders list after list. Names, streets and reasons repeat their
# words so much that the estimate of a long list mostly reads widths from here.
@functools.lru_cache(maxsize=1 << 16)
def _em_width(text: str, bold: bool) -> float:
    advances = _advances(bold)
    # A character outside the font would come from a fallback font: count it wide.
    return sum(advances.get(char, 1.0) for char in text)


def _line_count(text: str, width: float, size: float, bold: bool) -> int:
    """Lines the text takes in a box `width` pt wide, wrapped at spaces (see _wrap)."""
    return _wrap(text, width, size, bold)[0]


def _wrap(text: str, width: float, size: float, bold: bool) -> tuple[int, bool]:
    """Lines the text takes in a box `width` pt wide, and whether a word is wider than it.

    Errs long, never short: kerning is ignored (it only tightens Tinos), and Pango may also
    break after a hyphen or a slash. A word wider than the box breaks between two letters, as
    overflow-wrap: break-word does it, where the next letter would not fit.
    """
    words = text.split()
    if not words:
        return 1, False
    space = _text_width(" ", size, bold)
    lines, used, broken = 1, 0.0, False
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
            broken = True
            used = 0.0
            for char in word:
                advance = _text_width(char, size, bold)
                if used and used + advance > width:
                    lines += 1
                    used = 0.0
                used += advance
    return lines, broken


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


def part_html(document: ListDocument, part: Part, *, inline_marks: bool = False,
              page_numbers: tuple[int, int] | None = None) -> str:
    """The HTML of one part.

    page_numbers (first, total) prints "Trang x/y" on its pages, x counted on from first;
    inline_marks prints it from CSS counters alone (the whole list in a single pass).
    """
    issuer = _issuer_lines(document)
    return _templates().get_template("lists/pdf.html").render(
        doc=document, layout=LAYOUT, entries=part.entries, first=part.first, last=part.last,
        issuer_lines=issuer, superior_lines=1 if len(issuer) >= 3 else 0,
        numbered=inline_marks or page_numbers is not None, page_numbers=page_numbers,
        font_family=FONT_FAMILY,
    )


def _normalised(document: ListDocument) -> ListDocument:
    """Text in NFC: a decomposed "ễ" would miss the font's precomposed glyphs."""

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
# quarter of the time. The template styles everything it uses, so it gets this short sheet
# instead: the display of each element it contains, nothing else.
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


@functools.cache
def _merged_font(style: str, weight: int) -> bytes:
    """One face of Tinos, its Latin and Vietnamese subsets merged into one TrueType font."""
    from fontTools.merge import Merger
    from fontTools.ttLib import TTFont

    paths = [str(FONT_DIR / f"tinos-{subset}-{weight}-{style}.ttf") for subset in FONT_SUBSETS]
    font = Merger().merge(paths)
    # The same bytes every time: dated as the Latin subset, not stamped with today.
    latin = TTFont(paths[0])["head"]
    font["head"].created, font["head"].modified = latin.created, latin.modified
    font.recalcTimestamp = False
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@functools.cache
def _font_faces_css() -> str:
    """The @font-face rules of the list's fonts, the fonts themselves in data: URLs.

    Made once in the process that plans the list and handed to the workers with each part:
    a worker would have to merge the fonts again (a tenth of a second) for every list. The
    URLs are quoted: CSS reads a quoted one at once, an unquoted one letter by letter.
    """
    rules = []
    for style, weight in FONT_FACES:
        data = base64.b64encode(_merged_font(style, weight)).decode("ascii")
        rules.append(
            f"@font-face {{ font-family: {FONT_FAMILY}; font-style: {style}; "
            f"font-weight: {weight}; "
            f"src: url('data:font/ttf;base64,{data}') format('truetype'); }}"
        )
    return "\n".join(rules)


@functools.cache
def _weasyprint(fonts_css: str):
    """This process's HTML class, font configuration and @font-face sheet, made once."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    user_agent = CSS(string=USER_AGENT_CSS)

    class ListHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [user_agent]

    font_config = FontConfiguration()
    return ListHTML, font_config, CSS(string=fonts_css, font_config=font_config)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a while, then as it was.

    Rendering a part, or reading and merging them, makes a great many objects that all live
    until it ends: the collector, woken every few hundred new ones, would walk them again and
    again for nothing (a tenth of the time). Reference counting frees most of them once done,
    and the collector's next round the rest.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def render_html(html: str, fonts_css: str) -> bytes:
    """One WeasyPrint document, in this process, with the fonts of fonts_css embedded."""
    list_html, font_config, fonts = _weasyprint(fonts_css)
    with _collector_paused():
        # Whole fonts rather than subsets: every part then embeds the same font files,
        # which pypdf keeps once when merging.
        return list_html(string=html, base_url=str(FONT_DIR)).write_pdf(
            stylesheets=[fonts], font_config=font_config, full_fonts=True,
        )


def _render_all(htmls: list[str]) -> Iterator[bytes]:
    """Render the documents in order, in as many processes as there are CPUs to use (two at
    most), yielding each as soon as it and those before it are done."""
    fonts_css = _font_faces_css()
    workers = min(len(htmls), _worker_count())
    if workers <= 1:
        yield from (render_html(html, fonts_css) for html in htmls)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_process_context(),
                             initializer=gc.disable) as pool:
        yield from pool.map(functools.partial(_render_part, fonts_css=fonts_css), htmls)


# A part leaves in reference cycles some 4,500 objects a page (1 MB), which the garbage
# collector takes some 4 ms to find. A worker lives for one list only and leaves them to the
# end of the process, unless a long list piles up more than this many: some 450 pages and
# 450 MB, more than a worker's half of the 10,000 residents of a large ward.
WORKER_GARBAGE = 2_000_000


def _render_part(html: str, fonts_css: str) -> bytes:
    """render_html in a worker process, whose garbage collector is off (see WORKER_GARBAGE)."""
    pdf = render_html(html, fonts_css)
    if gc.get_count()[0] > WORKER_GARBAGE:
        gc.collect()
    return pdf


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


def _finished(document: ListDocument, writer: PdfWriter) -> bytes:
    """The merged parts as one file in Vietnamese, keeping the fonts they share once."""
    from pypdf.generic import NameObject, TextStringObject

    # Each part embeds the same font files; a pass keeps one of each identical object, and
    # the next can then merge what pointed to them: file, descriptor, CID font, font.
    for _ in range(4):
        writer.compress_identical_objects()
    writer.root_object[NameObject("/Lang")] = TextStringObject("vi")
    # No dates and no random file identifier: the approved list is the same file every time.
    writer.add_metadata({
        "/Title": f"{document.title} {document.subject}",
        "/Creator": "Từng Nhà",
        "/Producer": "WeasyPrint, pypdf",
    })
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
