"""Where a list's PDF ends its parts: the table's lines, their heights from the font, the plan.

WeasyPrint lays out each part on its own (pdf.py); this plan decides which lines of the table
go in which part, from the geometry the template prints with (Layout) and the advance widths
of the font the file embeds.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from portal.lists.document import ListDocument, ListRow
from portal.lists.fonts import advances

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

# In the document's language (see document.DOCUMENT_LANGUAGE), as the totals below are: each
# heading, its width in mm, and the field of ListRow it prints (none: the row's number).
HEADERS = (
    ("STT", 13, ""),  # room for "10000" on one line
    ("Họ và tên", 42, "full_name"),
    ("Ngày sinh", 20, "birth"),
    ("Giới tính", 12, "sex"),
    ("Số CCCD/ CMND", 27, "id_number_masked"),
    ("Địa chỉ", 47, "address"),
    ("Số mũi đã tiêm", 15, "doses"),
    ("Lý do", 38, "reason"),
    ("Ghi chú", 38, "detail"),
)
# The list of a children's campaign (ListDocument.guardian_column) names each child's parent or
# guardian after the address. The other columns make room, within the same 252 mm: the ID
# number's down to what a masked one needs (21 mm), the name, address, reason and note a little.
CHILDREN_HEADERS = (
    ("STT", 13, ""),
    ("Họ và tên", 38, "full_name"),
    ("Ngày sinh", 20, "birth"),
    ("Giới tính", 12, "sex"),
    ("Số CCCD/ CMND", 22, "id_number_masked"),
    ("Địa chỉ", 36, "address"),
    ("Họ tên, SĐT người giám hộ", 40, "guardian"),
    ("Số mũi đã tiêm", 15, "doses"),
    ("Lý do", 28, "reason"),
    ("Ghi chú", 28, "detail"),
)


@dataclass(frozen=True)
class Column:
    """A column of the table: its heading, its width in mm, and the ListRow field it prints."""

    header: str
    width: float
    field: str = ""
    centred: bool = False


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
    columns: tuple[Column, ...] = tuple(Column(*column) for column in HEADERS)
    # The cells printed column by column (another document than the compliance list); the
    # compliance list's row is written out whole, which renders its thousands of rows faster.
    generic: bool = False
    # Rows under a heading per hamlet with a subtotal of people (a list of people); else rows
    # alone, then the document's own total line.
    grouped: bool = True

    @property
    def body_height(self) -> float:
        """Height of the page area in pt."""
        return (self.page_height - self.margin_top - self.margin_bottom) * PT_PER_MM

    @property
    def guardian(self) -> bool:
        """Whether the table has the guardian's column."""
        return any(column.field == "guardian" for column in self.columns)


LAYOUT = Layout()
CHILDREN_LAYOUT = Layout(columns=tuple(Column(*column) for column in CHILDREN_HEADERS))


# The commune's list for the police: the people whose identity the population data should
# confirm, with the full ID number (the police check it), what disagrees and how.
POLICE_LAYOUT = Layout(generic=True, columns=(
    Column("STT", 13), Column("Họ và tên", 42, "full_name"),
    Column("Ngày sinh", 20, "birth", True), Column("Giới tính", 12, "sex", True),
    Column("Số CCCD/ CMND", 30, "id_number", True), Column("Địa chỉ", 45, "address"),
    Column("Sai lệch", 35, "reason"), Column("Chi tiết", 55, "detail")))


# The district's daily report: a line per commune (campaigns/daily.py).
DAILY_LAYOUT = Layout(generic=True, grouped=False, columns=(
    Column("STT", 13), Column("Xã, phường", 55, "name"),
    Column("Lần rà soát", 22, "visits", True), Column("Mũi tiêm ghi nhận", 22, "doses", True),
    Column("Người mới tiêm đủ", 28, "newly", True), Column("Từ chối", 22, "refusals", True),
    Column("Đối tượng", 28, "target", True), Column("Đã tiêm", 30, "up_to_date", True),
    Column("Tỷ lệ", 32, "percent", True)))


def layout_of(document: ListDocument) -> Layout:
    """The geometry a list prints with: its own, or LAYOUT, or CHILDREN_LAYOUT with the guardian
    column."""
    if document.layout is not None:
        return document.layout
    return CHILDREN_LAYOUT if document.guardian_column else LAYOUT


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


def entries_of(document: ListDocument) -> list[Entry]:
    """The table's lines: per hamlet a heading, its residents and a subtotal; then the total."""
    layout = layout_of(document)
    entries: list[Entry] = []
    number = 0
    groups = 0
    index = 0
    rows = document.rows
    if not layout.grouped:
        entries = [Entry("row", str(n), row=row) for n, row in enumerate(rows, start=1)]
        entries.append(Entry("total", label=document.total_label or ""))
        return [_with_height(entry, layout) for entry in entries]
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
    return [_with_height(entry, layout) for entry in entries]


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
    layout = layout_of(document)
    room = layout.body_height - PAGE_SLACK_PT
    header = header_height(layout)
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


def balanced_parts(document: ListDocument, pages_per_part: int) -> list[Part]:
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
    issuer = len(document.issuer_lines) * 15 + 2 + 0.75 + 6 + 15
    motto = 15 + 19 + 6 + 15
    subject = _line_count(document.subject, _content_width(layout_of(document)) * 0.8, 14,
                          bold=True) * 16
    return max(issuer, motto) + 15 + 16 + subject + 9


def closing_height(document: ListDocument) -> float:
    """Estimated height in pt of the closing block: "Nơi nhận:" and the signature."""
    width = _content_width(layout_of(document)) / 2
    recipients = 13 + sum(_line_count(line, width, 11, bold=False) * 13
                          for line in document.recipients)
    signer = (len(document.signer_caption) + 1) * 16 + 25 * PT_PER_MM
    return 12 + max(recipients, signer)


def header_height(layout: Layout) -> float:
    """Estimated height in pt of the table's header row."""
    lines = max(
        _line_count(column.header, _cell_width(column, layout), layout.cell_size, bold=True)
        for column in layout.columns
    )
    return lines * layout.cell_line + 2 * layout.pad_y + layout.border


def _with_height(entry: Entry, layout: Layout) -> Entry:
    widths = _cell_widths(layout)
    if entry.kind == "row":
        row = entry.row
        texts = [str(getattr(row, column.field)) if column.field else entry.number
                 for column in layout.columns]
        wraps = [_wrap(text, width, layout.cell_size, bold=False)
                 for text, width in zip(texts, widths)]
        lines = max(lines for lines, _ in wraps)
        # Numbers from 1.000 on are wider than their narrow column: the template lets that
        # column break its words always, and the others only in rows flagged here.
        long_word = any(broken for _, broken in wraps[1:])
    else:
        columns = widths[1:] if entry.kind == "group" else widths
        lines, long_word = _wrap(entry.label, sum(columns), layout.cell_size, bold=True)
    height = lines * layout.cell_line + 2 * layout.pad_y + layout.border
    return Entry(entry.kind, entry.number, entry.label, entry.row, height, long_word)


def _content_width(layout: Layout) -> float:
    return (layout.page_width - layout.margin_left - layout.margin_right) * PT_PER_MM


def _cell_width(column: Column, layout: Layout) -> float:
    return column.width * PT_PER_MM - 2 * layout.pad_x - layout.border


@functools.cache
def _cell_widths(layout: Layout) -> tuple[float, ...]:
    return tuple(_cell_width(column, layout) for column in layout.columns)


def _text_width(text: str, size: float, bold: bool) -> float:
    return size * _em_width(text, bold)


# Bounded: a web worker renders list after list. Names, streets and reasons repeat their
# words so much that the estimate of a long list mostly reads widths from here.
@functools.lru_cache(maxsize=1 << 16)
def _em_width(text: str, bold: bool) -> float:
    widths = advances(bold)
    # A character outside the font would come from a fallback font: count it wide.
    return sum(widths.get(char, 1.0) for char in text)


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
