"""Text as people type it: folding for accent-insensitive search and duplicate checks, and the
control characters no one types."""

import re
import unicodedata

# NFD splits every Vietnamese letter but đ/Đ, which is a letter of its own.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})
_SPACES = re.compile(r"\s+")

# C0 and C1 control characters and DEL. No one types them: they come from a hostile client or a
# broken file, and a PostgreSQL text column refuses NUL outright (the request would fail with a
# 500). A multi-line note keeps tab and the line breaks a browser sends (CR LF).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str | None, *, multiline: bool = False) -> bool:
    """Whether text holds a control character: any of them on one line; in multi-line text,
    any but tab, line feed and carriage return. NUL is always one."""
    if not text:
        return False
    return (_CONTROL_IN_LINES if multiline else _CONTROL).search(text) is not None


def replace_control_characters(text: str, replacement: str = "\ufffd") -> str:
    """The text with each control character but tab and line breaks made `replacement` (�):
    for a file that must show what was there but cannot hold it (an XLSX cell cannot)."""
    return _CONTROL_IN_LINES.sub(replacement, text)


def fold(text: str | None) -> str:
    """Lower-case, strip diacritics and collapse spaces: "Nguyễn Văn  Đức" -> "nguyen van duc"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.lower()).strip()


def normalise_name(text: str) -> str:
    """A person's name as stored: NFC, single spaces, no edge blanks."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def shortened(text: str, limit: int) -> str:
    """The text in at most `limit` characters, "…" the last of them where it was cut: what a
    screen shows of a value that can be of any length."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


_NUMBERS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sorts names as people count: "Khu vực 2" before "Khu vực 10", accents aside."""
    return tuple(int(part) if part.isdigit() else part
                 for part in _NUMBERS.split(fold(text)))
