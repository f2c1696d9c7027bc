"""Tinos, the face of the official PDF: its files, merged per face, its widths and @font-face rules."""

from __future__ import annotations

import base64
import functools
import io
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent
# From the pinned npm package @fontsource/tinos, unpacked to TrueType by `make setup` (see the
# Makefile). Tinos is metric-compatible with Times New Roman, the face the decree asks for.
# Fontsource ships it in subsets: Latin covers ASCII and Latin-1 (à, á, â, è, ô...), Vietnamese
# the rest (ă, đ, ơ, ư, ạ...ỹ). For each of the four faces the two are merged into one font
# (see merged_font): declared as two families, one the fallback of the other, they would cut
# every Vietnamese word into runs of one font and the other, each shaped and drawn on its own.
FONT_DIR = PORTAL / "static" / "vendor" / "fonts"
FONT_FACES = (("normal", 400), ("italic", 400), ("normal", 700), ("italic", 700))
FONT_SUBSETS = ("latin", "vietnamese")  # Latin first: its glyphs win where both have one
FONT_FAMILY = "Tinos"


def check_fonts() -> None:
    """Refuse to go on, saying what to do, when a font file is missing."""
    missing = [path.name for path in _font_files() if not path.is_file()]
    if missing:
        raise RuntimeError(f"PDF fonts missing from {FONT_DIR} ({', '.join(missing)}): "
                           "run `make setup`")


def _font_files() -> list[Path]:
    return [FONT_DIR / f"tinos-{subset}-{weight}-{style}.ttf"
            for subset in FONT_SUBSETS for style, weight in FONT_FACES]


@functools.cache
def merged_font(style: str, weight: int) -> bytes:
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
def advances(bold: bool) -> dict[str, float]:
    """Advance width of each character of Tinos, in em, from the font the PDF embeds."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(merged_font("normal", 700 if bold else 400)))
    upem = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    return {chr(codepoint): metrics[glyph][0] / upem
            for codepoint, glyph in font.getBestCmap().items()}


@functools.cache
def font_faces_css() -> str:
    """The @font-face rules of the list's fonts, the fonts themselves in data: URLs.

    Made once in the process that plans the list and handed to each worker as it starts:
    a worker would have to merge the fonts again (a tenth of a second) for every list. The
    URLs are quoted: CSS reads a quoted one at once, an unquoted one letter by letter.
    """
    rules = []
    for style, weight in FONT_FACES:
        data = base64.b64encode(merged_font(style, weight)).decode("ascii")
        rules.append(
            f"@font-face {{ font-family: {FONT_FAMILY}; font-style: {style}; "
            f"font-weight: {weight}; "
            f"src: url('data:font/ttf;base64,{data}') format('truetype'); }}"
        )
    return "\n".join(rules)
