"""What every spreadsheet export (Excel, CSV) of the portal passes its cells through."""

from __future__ import annotations

import re

from portal.text import replace_control_characters

# A cell starting with one of these is a formula to Excel and LibreOffice: "=HYPERLINK(...)"
# typed as a name would run when a clerk opens the file (CSV/formula injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A spreadsheet opening a CSV may split its lines on any of these (comma, semicolon where the
# decimal sign is a comma, tab, pipe), whatever the file's own delimiter and its quotes: what
# follows one starts a cell of its own there, so "x;=1+1" would be the formula "=1+1".
_SPLIT_BEFORE_FORMULA = re.compile(r"([,;\t|\r\n]\s*)(?=[=+\-@])")


def spreadsheet_safe(value):
    """The value as a spreadsheet must show it: no part of a text can start a formula.

    A ' goes before a text that would start one, and after each delimiter a spreadsheet may
    split on that is followed by one. A control character (a NUL in a refused import row)
    shows as �: an XLSX cell cannot hold one. Numbers, dates and None pass through; only
    text is ever changed, and only there.
    """
    if not isinstance(value, str):
        return value
    value = _SPLIT_BEFORE_FORMULA.sub(r"\1'", replace_control_characters(value))
    return "'" + value if value.startswith(FORMULA_STARTS) else value
