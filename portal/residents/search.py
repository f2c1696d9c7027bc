"""Finding a resident fast: by name typed without accents, by ID number, phone or household.

Names are indexed word by word (folded, so "duc" finds "Đức") under the resident's commune:
a search within a commune reads one short index range, even with a million residents.
"""

from __future__ import annotations

from sqlalchemy import delete, func, literal, or_, select

from portal.extensions import db
from portal.residents.models import Household, Resident, ResidentSearchTerm
from portal.scope import communes_in_scope, hamlets_in_scope
from portal.text import fold

MAX_RESULTS = 20
# Rows read from the index before ranking: bounds the work for very common words.
CANDIDATES = 400
MAX_WORDS = 6


def name_terms(full_name: str) -> set[str]:
    """The words a name is found by."""
    return {word[:40] for word in fold(full_name).split()}


def index_resident(resident: Resident, commune_id: int) -> None:
    """(Re)file a resident's name words in the search index; call after adding or renaming."""
    db.session.execute(delete(ResidentSearchTerm).where(ResidentSearchTerm.resident_id == resident.id))
    db.session.add_all(
        ResidentSearchTerm(commune_id=commune_id, term=term, resident_id=resident.id)
        for term in name_terms(resident.full_name)
    )


def _next_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with prefix."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _word_prefix(word: str):
    """Resident whose folded name has a word starting with `word`."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    spaced = literal(" ") + Resident.name_folded
    return spaced.like(f"% {escaped}%", escape="\\")


def search_residents(user, query: str, limit: int = MAX_RESULTS) -> list[Resident]:
    """Residents within the user's scope matching the query, best matches first."""
    text = (query or "").strip()
    if not text:
        return []
    compact = "".join(ch for ch in text if ch not in " .-")
    in_scope = Resident.hamlet_id.in_(hamlets_in_scope(user))
    if compact.lstrip("+").isdigit():
        return _search_numbers(compact, in_scope, limit)
    words = fold(text).split()[:MAX_WORDS]
    if not words:
        return []
    communes = communes_in_scope(user)
    anchor = _rarest(words, communes)
    candidates = _term_range(anchor, communes).limit(CANDIDATES)
    whole = fold(text)
    statement = (
        select(Resident)
        .where(Resident.id.in_(candidates), in_scope, *[_word_prefix(w) for w in words])
        .order_by(
            Resident.name_folded.startswith(whole, autoescape=True).desc(),
            Resident.name_folded,
            Resident.id,
        )
        .limit(limit)
    )
    found = list(db.session.scalars(statement))
    if len(found) < limit and any(ch.isdigit() for ch in text):
        found += _search_household(text, in_scope, limit - len(found), exclude=found)
    return found


def _term_range(prefix: str, communes):
    """Index entries of the communes whose word starts with prefix."""
    prefix = prefix[:40]
    return select(ResidentSearchTerm.resident_id).where(
        ResidentSearchTerm.commune_id.in_(communes),
        ResidentSearchTerm.term >= prefix,
        ResidentSearchTerm.term < _next_prefix(prefix),
    )


def _rarest(words: list[str], communes) -> str:
    """The word with the fewest index entries (counted up to a cap): the cheapest to start from.

    "nguyen van duc" starts from "duc", not from the common "nguyen".
    """
    if len(words) == 1:
        return words[0]
    counts = {}
    for word in set(words):
        capped = _term_range(word, communes).limit(CANDIDATES).subquery()
        counts[word] = db.session.scalar(select(func.count()).select_from(capped))
    return min(words, key=lambda w: (counts[w], -len(w)))


def _search_numbers(digits: str, in_scope, limit: int) -> list[Resident]:
    """ID numbers by prefix, phones whole (+84 or 0), both within scope."""
    phone = "0" + digits[3:] if digits.startswith("+84") else digits
    phone = "0" + phone[2:] if phone.startswith("84") and len(phone) == 11 else phone
    conditions = [Resident.phone == phone]
    if len(digits) >= 4:
        conditions.append(Resident.id_number.startswith(digits, autoescape=True))
    statement = (
        select(Resident).where(in_scope, or_(*conditions)).order_by(Resident.name_folded).limit(limit)
    )
    return list(db.session.scalars(statement))


def _search_household(text: str, in_scope, limit: int, exclude: list[Resident]) -> list[Resident]:
    """Members of households whose code matches, e.g. "HGĐ-0012" or "0012"."""
    code = text.strip().upper()
    statement = (
        select(Resident)
        .join(Household, Resident.household_id == Household.id)
        .where(in_scope, or_(func.upper(Household.code) == code,
                             Household.code.endswith("-" + code, autoescape=True)))
        .where(Resident.id.not_in([r.id for r in exclude]) if exclude else Resident.id.is_not(None))
        .order_by(Household.code, Resident.birth_year)
        .limit(limit)
    )
    return list(db.session.scalars(statement))
