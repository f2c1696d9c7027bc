"""What every spreadsheet export (Excel, CSV) of the portal passes its cells through."""

from __future__ import annotations

# A cell starting with one of these is a formula to Excel and LibreOffice: "=HYPERLINK(...)"
# typed as a name would run when a clerk opens the file (CSV/formula injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_safe(value):
    """The value as a spreadsheet must show it: text that looks like a formula gets a leading '.

    Numbers, dates and None pass through; only text is ever changed, and only its start.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
