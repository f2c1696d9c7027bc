"""Finding a resident fast: by name typed without accents, by ID number, phone or household.

Names are indexed word by word (folded, so "duc" finds "Đức") under the resident's commune:
a search within a commune reads one short index range, even with a million residents.

An ID number is shown masked to its last four digits; a search by ID number must not unmask
it. So only a whole number is looked up, exactly (a few digits confirm nothing), only for the
roles that meet people card in hand (Action.SEARCH_BY_ID_NUMBER), at most ID_SEARCHES_PER_HOUR
times an hour for each user, and each such search is written to the audit trail.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, literal, or_, select

from portal.access import Action, can
from portal.audit.log import record
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.residents.identity import (
    InvalidValue, clean_id_number, identity_digits, mask_id_number,
)
from portal.residents.models import Household, Resident, ResidentSearchTerm
from portal.scope import communes_in_scope, hamlets_in_scope
from portal.text import fold
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

MAX_RESULTS = 20
# Rows read from the index before ranking: bounds the work for very common words.
CANDIDATES = 400
# Index entries of the rarest word read at most: a word in a commune of 20,000 people has
# fewer; a common one across a whole district (a million residents) is cut short.
SCAN_BUDGET = 10_000
# Index entries counted per word to find the rarest: enough to tell common words apart.
COUNT_CAP = 3000
MAX_WORDS = 6


# Names repeat (a ward has a few hundred given names): an import or the demo folds each once.
@lru_cache(maxsize=1 << 16)
def name_terms(full_name: str) -> frozenset[str]:
    """The words a name is found by."""
    return frozenset(word[:40] for word in fold(full_name).split())


# The columns of resident_search_terms, in the order of search_entries' tuples.
ENTRY_COLUMNS = ("commune_id", "term", "resident_id")


def search_entries(commune_id: int, resident_id: int, full_name: str) -> list[tuple[int, str, int]]:
    """The rows of the search index that file a resident's name: (commune_id, term,
    resident_id), one a word, sorted. What index_resident stores, and imports insert in bulk."""
    return [(commune_id, term, resident_id) for term in sorted(name_terms(full_name))]


def index_resident(resident: Resident, commune_id: int) -> None:
    """(Re)file a resident's name words in the search index; call after adding or renaming."""
    db.session.execute(delete(ResidentSearchTerm).where(ResidentSearchTerm.resident_id == resident.id))
    db.session.add_all(
        ResidentSearchTerm(commune_id=commune, term=term, resident_id=resident_id)
        for commune, term, resident_id in search_entries(commune_id, resident.id,
                                                         resident.full_name)
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
    # The scope as plain id lists: a planner plans better with values than with a subquery.
    hamlet_ids = list(db.session.scalars(hamlets_in_scope(user)))
    if not hamlet_ids:
        return []
    compact = identity_digits(text)  # "０９１２ ３４５" is typed on some keyboards too
    if compact.lstrip("+").isascii() and compact.lstrip("+").isdigit():
        return _search_numbers(user, compact, hamlet_ids, limit)
    words = fold(text).split()[:MAX_WORDS]
    if not words:
        return []
    commune_ids = sorted(set(db.session.scalars(communes_in_scope(user))))
    found = _search_names(words, commune_ids, hamlet_ids if user.hamlets else None, limit)
    if len(found) < limit and any(ch.isdigit() for ch in text):
        found += _search_household(text, hamlet_ids, limit - len(found), exclude=found)
    return found


def _search_names(words: list[str], commune_ids: list[int], hamlet_ids: list[int] | None,
                  limit: int) -> list[Resident]:
    """Residents with a word starting with each of words, in the communes (and hamlets).

    Starts from the rarest word's index range, keeps those whose name has the other words too,
    and stops at CANDIDATES: no sort over a large set, and no plan that walks a name index.
    """
    anchor = _rarest(words, commune_ids)
    # The anchor's entries come from the index alone; the LIMIT keeps them a separate step,
    # so a planner joins residents to them by primary key rather than the other way round.
    entries = (select(ResidentSearchTerm.resident_id)
               .where(*_term_range(anchor, commune_ids)).limit(SCAN_BUDGET).subquery())
    statement = (
        select(Resident.id, Resident.name_folded)
        .join(entries, entries.c.resident_id == Resident.id)
        .where(*[_word_prefix(w) for w in words if w != anchor])
        .limit(CANDIDATES)
    )
    if hamlet_ids is not None:
        # "+ 0" on purpose: with the hamlet index usable, PostgreSQL (misjudging the LIKE
        # filters as matching almost nothing) starts from the hamlets' residents instead.
        statement = statement.where((Resident.hamlet_id + 0).in_(hamlet_ids))
    matches = {row.id: row.name_folded for row in db.session.execute(statement)}
    whole = " ".join(words)
    ranked = sorted(
        matches.items(), key=lambda item: (not item[1].startswith(whole), item[1], item[0]),
    )[:limit]
    by_id = {r.id: r for r in db.session.scalars(
        select(Resident).where(Resident.id.in_([rid for rid, _ in ranked]))
    )}
    return [by_id[rid] for rid, _ in ranked]


def _term_range(prefix: str, commune_ids: list[int]):
    """Conditions on the index: entries of the communes whose word starts with prefix."""
    prefix = prefix[:40]
    return (
        ResidentSearchTerm.commune_id.in_(commune_ids),
        ResidentSearchTerm.term >= prefix,
        ResidentSearchTerm.term < _next_prefix(prefix),
    )


def _rarest(words: list[str], commune_ids: list[int]) -> str:
    """The word with the fewest index entries (counted up to a cap): the cheapest to start from.

    "nguyen van duc" starts from "duc", not from the common "nguyen".
    """
    if len(set(words)) == 1:
        return words[0]
    counts = {}
    for word in set(words):
        capped = (select(ResidentSearchTerm.resident_id)
                  .where(*_term_range(word, commune_ids)).limit(COUNT_CAP).subquery())
        counts[word] = db.session.scalar(select(func.count()).select_from(capped))
    # Counts that reach the cap tie: then the later word, as Vietnamese names put the
    # common family and middle names (Nguyễn, Văn, Thị) first and the varied given name last.
    return min(reversed(words), key=lambda w: counts[w])


def _search_numbers(user, digits: str, hamlet_ids: list[int], limit: int) -> list[Resident]:
    """Phones whole (+84 or 0), and a whole ID number for the roles that search by it, both
    within scope.

    The numbers are looked up first, each on its own index, then kept if in scope: asked
    all at once, a planner may walk every resident of a wide scope instead.
    """
    phone = "0" + digits[3:] if digits.startswith("+84") else digits
    phone = "0" + phone[2:] if phone.startswith("84") and len(phone) == 11 else phone
    found = set(db.session.scalars(
        select(Resident.id).where(Resident.phone == phone).limit(CANDIDATES)))
    if full_id_number(digits) and can(user, Action.SEARCH_BY_ID_NUMBER):
        found.update(look_up_id_number(user, digits, hamlet_ids))
    if not found:
        return []
    statement = (
        select(Resident).where(Resident.id.in_(found), Resident.hamlet_id.in_(hamlet_ids))
        .order_by(Resident.name_folded).limit(limit)
    )
    return list(db.session.scalars(statement))


def full_id_number(digits: str) -> bool:
    """Whether the digits make a whole CCCD (12) or CMND (9): the only ID search there is."""
    try:
        return clean_id_number(digits) is not None
    except InvalidValue:
        return False


class TooManyIdSearches(Exception):
    """The user has searched by ID number as often as an hour allows."""


def look_up_id_number(user, number: str, hamlet_ids: list[int]) -> list[int]:
    """The resident in scope holding exactly this ID number (none or one), the search written
    to the audit trail (the number masked, whether it was found). The caller commits.

    Raises TooManyIdSearches past ID_SEARCHES_PER_HOUR: the trail's own count of the user's
    searches is the limit, so it holds across workers and restarts.
    """
    allowed = current_app.config["ID_SEARCHES_PER_HOUR"]
    if id_searches_in_the_last_hour(user) >= allowed:
        log.warning("ID search refused to %s: %s in the last hour", user.username, allowed)
        raise TooManyIdSearches(allowed)
    found = list(db.session.scalars(select(Resident.id).where(
        Resident.id_number == number, Resident.hamlet_id.in_(hamlet_ids))))
    record("resident.search_id", "search", None, unit_id=user.unit_id, user=user,
           after={"id_number": mask_id_number(number), "found": len(found)})
    return found


def id_searches_in_the_last_hour(user) -> int:
    """How many times the user has searched by ID number in the last hour, by the trail."""
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.user_id == user.id, AuditEvent.action == "resident.search_id",
        AuditEvent.occurred_at >= utcnow() - timedelta(hours=1)))


def id_number_hint(user, query: str) -> str | None:
    """What the search says of a query that looks like an ID number but is not searched as
    one: a few digits (type them all), or a whole number from a role that cannot search by it."""
    digits = identity_digits(query or "")
    allowed = can(user, Action.SEARCH_BY_ID_NUMBER)
    if full_id_number(digits):
        return None if allowed else _("Searching by ID number is for screeners and commune leads.")
    phone = digits.startswith("0") and len(digits) == 10
    if allowed and digits.isdigit() and len(digits) >= 4 and not phone:
        return _("An ID number is searched whole: type its 12 digits (9 for an old CMND).")
    return None


def _search_household(text: str, hamlet_ids: list[int], limit: int,
                      exclude: list[Resident]) -> list[Resident]:
    """Members of households whose code matches, e.g. "HGĐ-0012" or "0012"."""
    code = text.strip().upper()
    statement = (
        select(Resident)
        .join(Household, Resident.household_id == Household.id)
        .where(Resident.hamlet_id.in_(hamlet_ids), or_(func.upper(Household.code) == code,
                             Household.code.endswith("-" + code, autoescape=True)))
        .where(Resident.id.not_in([r.id for r in exclude]) if exclude else Resident.id.is_not(None))
        .order_by(Household.code, Resident.birth_year)
        .limit(limit)
    )
    return list(db.session.scalars(statement))
