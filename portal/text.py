"""Vietnamese text folding for accent-insensitive search and duplicate checks."""

import re
import unicodedata

# NFD splits every Vietnamese letter but đ/Đ, which is a letter of its own.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})
_SPACES = re.compile(r"\s+")


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
