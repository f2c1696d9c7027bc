"""The official PDF of a list (Decree 30/2020/NĐ-CP): its parts rendered by WeasyPrint, merged.

What the list says is document.py's; where its parts end, planning.py's. Here the parts become
HTML, each is laid out by WeasyPrint in a worker process, and pypdf merges them into one file.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import itertools
import multiprocessing
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape

from portal.lists.document import DOCUMENT_LANGUAGE, ListDocument
from portal.lists.fonts import FONT_DIR, FONT_FAMILY, check_fonts, font_faces_css
from portal.lists.planning import (
    MAX_WORKERS, PAGES_PER_PART, Part, balanced_parts, layout_of,
)

if TYPE_CHECKING:
    from pypdf import PdfWriter

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def render_pdf(document: ListDocument, *, pages_per_part: int = PAGES_PER_PART,
               progress: Callable[[float], None] | None = None) -> bytes:
    """The list as a PDF: same input, same bytes.

    The table is cut into parts of whole pages, each laid out by WeasyPrint on its own (two
    processes at once), numbering its pages "Trang x/y" on from the pages planned before it,
    and the parts are merged with pypdf. progress, if given, hears the share of the parts
    done (0 to 1) as each arrives.
    """
    check_fonts()
    with _collector_paused():
        document = _normalised(document)
        return render_parts(document, balanced_parts(document, pages_per_part), progress)


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
    with contextlib.closing(_render_all(htmls)) as rendered:
        for pdf in rendered:
            reader = PdfReader(io.BytesIO(pdf))
            counts.append(len(reader.pages))
            writer.append(reader)
            if progress is not None:
                progress(len(counts) / len(htmls))
    return writer, counts


# --- HTML -----------------------------------------------------------------------------------


@functools.cache
def _templates() -> Environment:
    """The portal's templates, autoescaped, without a Flask app: workers and scripts use it."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=False,
    )


def part_html(document: ListDocument, part: Part, *, inline_marks: bool = False,
              page_numbers: tuple[int, int] | None = None) -> str:
    """The HTML of one part.

    page_numbers (first, total) prints "Trang x/y" on its pages, x counted on from first;
    inline_marks prints it from CSS counters alone (the whole list in a single pass).
    """
    issuer = document.issuer_lines
    layout = layout_of(document)
    return _templates().get_template("lists/pdf.html").render(
        doc=document, layout=layout, guardian=layout.guardian, entries=part.entries,
        first=part.first, last=part.last,
        issuer_lines=issuer, superior_lines=1 if len(issuer) >= 3 else 0,
        numbered=inline_marks or page_numbers is not None, page_numbers=page_numbers,
        font_family=FONT_FAMILY,
    )


def _normalised(document: ListDocument) -> ListDocument:
    """Text in NFC: a decomposed "ễ" would miss the font's precomposed glyphs."""

    def nfc(text):
        return unicodedata.normalize("NFC", text) if isinstance(text, str) else text

    rows = [type(row)(**{name: nfc(value) for name, value in vars(row).items()})
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


def _typesetter(fonts_css: str, folder: str) -> Callable[[str], bytes]:
    """A function laying out one HTML document as a PDF with the fonts of fonts_css embedded,
    the font files WeasyPrint writes for them kept in a new folder inside folder.

    WeasyPrint writes them to a folder of its own in the system's temporary directory, and
    removes it only when its font configuration is garbage-collected, which never happens in a
    worker process (it ends with os._exit) nor in a job's process that RQ forks: some 200 KB
    left behind by every process of every list. Inside the render's own folder
    (_render_all), they go when the render ends, however it ends.
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    user_agent = CSS(string=USER_AGENT_CSS)

    class ListHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [user_agent]

    font_config = FontConfiguration()
    # WeasyPrint 70 makes its folder (mkdtemp) only while this is None; a test checks that a
    # render leaves nothing in the temporary directory, should a later version differ.
    font_config._folder = Path(tempfile.mkdtemp(prefix="fonts-", dir=folder))
    fonts = CSS(string=fonts_css, font_config=font_config)

    def typeset(html: str) -> bytes:
        with _collector_paused():
            # Whole fonts rather than subsets: every part then embeds the same font files,
            # which pypdf keeps once when merging.
            return ListHTML(string=html, base_url=str(FONT_DIR)).write_pdf(
                stylesheets=[fonts], font_config=font_config, full_fonts=True,
            )

    return typeset


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


def _render_all(htmls: list[str]) -> Iterator[bytes]:
    """Render the documents in order, in as many processes as there are CPUs to use (two at
    most), yielding each as soon as it and those before it are done.

    Whatever WeasyPrint writes to disk goes to a temporary folder of this render's, removed
    once the workers have stopped, even when the render fails (close this generator, as
    _merged does, for that to happen at once).
    """
    fonts_css = font_faces_css()
    workers = min(len(htmls), _worker_count())
    with tempfile.TemporaryDirectory(prefix="tungnha-pdf-") as folder:
        if workers <= 1:
            typeset = _typesetter(fonts_css, folder)
            yield from (typeset(html) for html in htmls)
            return
        with ProcessPoolExecutor(max_workers=workers, mp_context=_process_context(),
                                 initializer=_start_worker, initargs=(fonts_css, folder)) as pool:
            yield from pool.map(_render_part, htmls)


# A part leaves in reference cycles some 4,500 objects a page (1 MB), which the garbage
# collector takes some 4 ms to find. A worker lives for one list only and leaves them to the
# end of the process, unless a long list piles up more than this many: some 450 pages and
# 450 MB, more than a worker's half of the 10,000 residents of a large ward.
WORKER_GARBAGE = 2_000_000

# In a worker process: its typesetter, made once by _start_worker for all the parts it renders.
_worker_typeset: Callable[[str], bytes] | None = None


def _start_worker(fonts_css: str, folder: str) -> None:
    """Set up a worker process: its garbage collector off (see WORKER_GARBAGE), its
    typesetter made with the list's fonts, their files in the render's folder."""
    global _worker_typeset
    gc.disable()
    _worker_typeset = _typesetter(fonts_css, folder)


def _render_part(html: str) -> bytes:
    """One part, laid out in a worker process."""
    pdf = _worker_typeset(html)
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
    importable without side effects (the usual `if __name__ == "__main__":`). The server
    preloads the module of the function the workers run, whichever module that is: a name
    that failed to import would be skipped without a word, and every worker import it anew.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["weasyprint", _render_part.__module__])
    return context


# --- merging -------------------------------------------------------------------------------


def _finished(document: ListDocument, writer: PdfWriter) -> bytes:
    """The merged parts as one file in the document's language, keeping shared fonts once."""
    from pypdf.generic import NameObject, TextStringObject

    # Each part embeds the same font files; a pass keeps one of each identical object, and
    # the next can then merge what pointed to them: file, descriptor, CID font, font.
    for _ in range(4):
        writer.compress_identical_objects()
    writer.root_object[NameObject("/Lang")] = TextStringObject(DOCUMENT_LANGUAGE)
    # No dates and no random file identifier: the approved list is the same file every time.
    writer.add_metadata({
        "/Title": f"{document.title} {document.subject}",
        "/Creator": "Từng Nhà",
        "/Producer": "WeasyPrint, pypdf",
    })
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
