"""Everything a user sees has a Vietnamese translation in the catalogue."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "portal" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def _extract(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k",
         "lazy_gettext", "-o", str(pot), str(ROOT / "portal")]
    )
    with pot.open("rb") as handle:
        found = {m.id for m in read_po(handle) if m.id}
    # An extraction that finds nothing (a babel.cfg whose paths no longer match) proves nothing.
    assert len(found) > 300, f"only {len(found)} messages extracted: check babel.cfg"
    assert "Log out" in found and "Approve" in found
    return found


def test_every_message_in_the_code_has_a_vietnamese_translation(tmp_path):
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="vi")
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(_extract(tmp_path) - translated)
    assert missing == [], f"add these to {CATALOGUE.name} (make translations-update): {missing}"


def test_translations_keep_their_placeholders():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="vi")
    for message in catalogue:
        if message.id and "%(" in message.id:
            for name in ("%(n)s", "%(unit)s", "%(visited)s", "%(residents)s"):
                assert (name in message.id) == (name in message.string), message.id
