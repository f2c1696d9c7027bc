"""Ids as the database holds them: positive, and within the columns' 32-bit integer."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Every id column is an INTEGER, 32 bits on PostgreSQL (SQLite's would take 64): a larger
# number in a URL or a form would make the query itself fail, with a 500, rather than find
# nothing. tests/test_hostile_input.py checks the columns are still of that type.
MAX_ID = 2**31 - 1


def is_id(value: int | None) -> bool:
    """Whether a number could be the id of a row: a larger one would overflow the column."""
    return value is not None and 0 < value <= MAX_ID


def id_from(text: str | None) -> int | None:
    """The id a form or query string names, or None when it names none (empty, not a number,
    out of range)."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if is_id(value) else None


def numbers_up_to(limit: int) -> str:
    """A regular expression of the whole numbers from 1 to limit (no leading zero): those
    with fewer digits, then those with as many that stay below it digit by digit."""
    digits = str(limit)
    shorter = [rf"[1-9]\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = [
        f"{digits[:position]}[{1 if position == 0 else 0}-{int(digit) - 1}]"
        rf"\d{{{len(digits) - position - 1}}}"
        for position, digit in enumerate(digits) if int(digit) > (1 if position == 0 else 0)
    ]
    return "|".join([*shorter, *same_length, digits])


class IdConverter(IntegerConverter):
    """Ids in URLs: 1 to MAX_ID, else no route matches (404).

    The bound is in the pattern, not only in the conversion: Werkzeug picks a rule by its
    pattern and method before converting, so a number it could not convert, on a path that
    another method also serves (/lists/<id>/files), would answer 405 rather than 404.
    """

    regex = rf"0*(?:{numbers_up_to(MAX_ID)})"

    def __init__(self, map, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, **kwargs)
