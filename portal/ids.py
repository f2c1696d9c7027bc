"""Ids as the database holds them: positive, and within a signed 64-bit integer."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def is_id(value: int | None) -> bool:
    """Whether a number could be the id of a row: a larger one would overflow the database."""
    return value is not None and 0 < value <= MAX_ID


def id_from(text: str | None) -> int | None:
    """The id a form or query string names, or None when it names none (empty, not a number,
    out of range)."""
    if not text or not text.isdigit():
        return None
    value = int(text)
    return value if is_id(value) else None
