"""The national vaccination platform's export into a commune: each dose matched to a resident
and recorded, or set aside to be matched by hand, and the rows that cannot be taken with why.

The platform gives one row per dose (name, birth date, ID number, phone, which dose, vaccine,
date, site). A row is matched to a resident of the commune by ID number first, then by folded
name and birth date (or year), and only when exactly one resident answers: two people with
the same name and birth date are left for a person to tell apart.

A dose already recorded (same resident, same dose of the schedule) is recognised. The platform
is authoritative for its date, vaccine and place (the rule is platform.platform_changes, which
a dose matched by hand follows too): a recorded dose whose values differ (a card seen without
its date, a screener's typo) takes the platform's and counts as updated; one that already says
the same is unchanged. A row that matches no one is stored as an UnmatchedDose,
once: a later import does not store the same person's same dose again while it waits, nor
after someone has matched it by hand. So importing the same file twice changes nothing.

As for residents, everything is read once and written in bulk; the caller commits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import Connection, insert, select, update

from portal.coverage import summary
from portal.extensions import db
from portal.imports.base import (
    BATCH, ImportResult, Person, Refused, cell, cell_text, check_person, checked_rows, hamlets_of,
)
from portal.imports.models import UnmatchedDose
from portal.imports.platform import platform_changes
from portal.imports.reading import Cell, SourceRow, Table, parse_date
from portal.residents.models import Dose, DoseKind, Resident
from portal.text import fold
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit

# The first COVID-19 vaccines anywhere were given in December 2020: an earlier date is a typo
# ("2012" for "2021").
FIRST_VACCINES = date(2020, 12, 1)
VACCINE_LENGTH, PLACE_LENGTH = 60, 160

# "Mũi 1", "mũi thứ 2", "M3", "1": doses by their number in the schedule.
_NUMBERED = re.compile(r"(?:(?:mui|m)(?: tiem)?(?: so| thu)? ?)?([1-4])")
# "Nhắc lại 1", "mũi nhắc lại lần thứ 2", "Mũi 3 (nhắc lại lần 1)": boosters by their own number.
_BOOSTER = re.compile(r"\bnhac lai(?: lan)?(?: thu)? ?([12])\b")
# "Mũi 3 (nhắc lại)": a booster told by the dose's number in the schedule.
_NUMBER_IN = re.compile(r"\b(?:mui|m)(?: tiem)?(?: so| thu)? ?([34])\b")
NUMBERED = {"1": DoseKind.DOSE_1, "2": DoseKind.DOSE_2, "3": DoseKind.BOOSTER_1,
            "4": DoseKind.BOOSTER_2}
BOOSTERS = {"1": DoseKind.BOOSTER_1, "2": DoseKind.BOOSTER_2}


@dataclass
class _DoseRow(Person):
    """A good row, checked and cleaned."""

    line: int
    cells: list[Cell]
    name_folded: str
    kind: DoseKind
    vaccine: str
    given_on: date
    place: str | None

    @property
    def person_key(self) -> tuple:
        """Who the row is about, as an unmatched row is recognised across imports."""
        if self.id_number:
            return (self.kind.value, self.id_number)
        return (self.kind.value, self.name_folded, self.birth_date or self.birth_year)


def import_doses(table: Table, mapping: dict[str, int], commune: AdministrativeUnit,
                 import_id: int, today: date,
                 progress: Callable[[float], None] | None = None) -> ImportResult:
    """Import the table's doses into the commune's residents, columns as mapped (fields of
    reading.DOSE_FIELDS); rows matching no one become UnmatchedDose rows of `import_id`.
    The caller commits."""
    progress = progress or (lambda share: None)
    result = ImportResult(total=len(table.rows))
    folded: dict[str, str] = {}  # a person's doses are on several rows: fold each name once
    rows = checked_rows(table, lambda source: _checked(source, mapping, today, folded), result,
                        progress)
    _store(rows, commune, import_id, result, progress)
    return result


@lru_cache(maxsize=1024)  # a file names its doses in a handful of ways, over and over
def parse_dose(value: str | None) -> DoseKind | None:
    """Which dose a cell names: "1", "Mũi 2", "Mũi 3", "Nhắc lại lần 1", "Mũi 4", "Mũi bổ
    sung"... Mũi 3 and 4 are boosters 1 and 2. None for an empty cell, ValueError for text
    that names no dose."""
    words = " ".join(re.sub(r"[^a-z0-9]+", " ", fold(value)).split())
    if not words:
        return None
    if "bo sung" in words:
        return DoseKind.ADDITIONAL
    if match := _BOOSTER.search(words):
        return BOOSTERS[match[1]]
    if match := _NUMBERED.fullmatch(words):
        return NUMBERED[match[1]]
    if "nhac lai" in words and (match := _NUMBER_IN.search(words)):
        return NUMBERED[match[1]]
    raise ValueError(f"{value!r} is not a dose")


# --- checking a row ----------------------------------------------------------------------


def _one_line(text: str | None, length: int) -> str:
    return " ".join((text or "").split())[:length]


def _checked(row: SourceRow, mapping: dict[str, int], today: date,
             folded: dict[str, str]) -> tuple[_DoseRow | None, list[str]]:
    """The row as a dose to match, or the reasons it cannot be (in the user's language)."""
    cells = row.cells
    # The platform gives no sex: a CCCD is checked against the birth year only. The phone
    # only helps whoever matches a row by hand: a bad one is dropped, not the dose.
    person, reasons = check_person(cells, mapping, today, birth_required=False,
                                   gives_sex=False, refuses_bad_phone=False)
    if cell_text(cells, mapping, "birth_date") is None and \
            cell_text(cells, mapping, "id_number") is None:
        reasons.append(_("There is neither a date of birth nor an ID number: the row cannot "
                         "be matched to a resident."))

    dose_text = cell_text(cells, mapping, "dose")
    kind = None
    try:
        kind = parse_dose(dose_text)
        if kind is None:
            reasons.append(_("The dose is empty."))
    except ValueError:
        reasons.append(_("“%(value)s” is not a dose: write Mũi 1, Mũi 2, Mũi 3 (nhắc lại lần "
                         "1), Mũi 4 (nhắc lại lần 2) or Mũi bổ sung.", value=dose_text))

    vaccine = _one_line(cell_text(cells, mapping, "vaccine"), VACCINE_LENGTH)
    if not vaccine:
        reasons.append(_("The vaccine is empty."))

    given_on = None
    try:
        given_on = parse_date(cell(cells, mapping, "date"))
        if given_on is None:
            reasons.append(_("The date of the dose is empty."))
        elif given_on > today:
            reasons.append(_("The date of the dose cannot be in the future."))
        elif given_on < FIRST_VACCINES:
            reasons.append(_("The date of the dose is before December 2020, when the first "
                             "COVID-19 vaccines were given."))
        elif person.birth_year is not None and \
                given_on < (person.birth_date or date(person.birth_year, 1, 1)):
            reasons.append(_("The date of the dose is before the date of birth."))
    except ValueError:
        reasons.append(_("“%(value)s” is not a date: write it as dd/mm/yyyy.",
                         value=cell_text(cells, mapping, "date")))

    if reasons:
        return None, reasons
    name = person.full_name
    if name not in folded:
        folded[name] = fold(name)
    return _DoseRow(
        **vars(person), line=row.line, cells=cells, name_folded=folded[name], kind=kind,
        vaccine=vaccine, given_on=given_on,
        place=_one_line(cell_text(cells, mapping, "site"), PLACE_LENGTH) or None,
    ), []


# --- matching ----------------------------------------------------------------------------


class _Residents:
    """The commune's residents as matching needs them, read once."""

    def __init__(self, commune: AdministrativeUnit, hamlet_ids: set[int],
                 connection: Connection):
        # Why a row matches no one, said once per import rather than once per row.
        self.ambiguous = _("More than one resident of %(commune)s has this name and date of "
                           "birth.", commune=commune.name)
        self.no_one = _("No resident of %(commune)s has this ID number, or this name and date "
                        "of birth.", commune=commune.name)
        self.other_id_number = _("The resident of %(commune)s with this name and date of birth "
                                 "has another ID number.", commune=commune.name)
        self.by_id_number: dict[str, int] = {}
        self.id_number_of: dict[int, str] = {}
        # (folded name, birth date) of residents whose full birth date is known.
        self.by_birth_date: dict[tuple[str, date], list[int]] = defaultdict(list)
        # (folded name, birth year) of every resident, and of those known by the year only.
        self.by_birth_year: dict[tuple[str, int], list[int]] = defaultdict(list)
        self.by_year_only: dict[tuple[str, int], list[int]] = defaultdict(list)
        for resident_id, name, birth_date, birth_year, id_number in connection.execute(select(
                Resident.id, Resident.name_folded, Resident.birth_date, Resident.birth_year,
                Resident.id_number).where(Resident.hamlet_id.in_(hamlet_ids))):
            if id_number:
                self.by_id_number[id_number] = resident_id
                self.id_number_of[resident_id] = id_number
            if birth_date is not None:
                self.by_birth_date[(name, birth_date)].append(resident_id)
            else:
                self.by_year_only[(name, birth_year)].append(resident_id)
            self.by_birth_year[(name, birth_year)].append(resident_id)

    def match(self, row: _DoseRow) -> tuple[int | None, str]:
        """The resident the row is about, or None and why no one (in the user's language)."""
        if row.id_number and row.id_number in self.by_id_number:
            return self.by_id_number[row.id_number], ""
        if row.birth_date is not None:
            # The same full date, else someone of that year whose day is not known.
            candidates = (self.by_birth_date.get((row.name_folded, row.birth_date))
                          or self.by_year_only.get((row.name_folded, row.birth_year), []))
        elif row.birth_year is not None:
            candidates = self.by_birth_year.get((row.name_folded, row.birth_year), [])
        else:
            candidates = []
        if len(candidates) > 1:
            return None, self.ambiguous
        if not candidates:
            return None, self.no_one
        found = candidates[0]
        # Another ID number on the resident: two people, or a typo only a person can tell.
        if row.id_number and self.id_number_of.get(found, row.id_number) != row.id_number:
            return None, self.other_id_number
        return found, ""


# --- storing -----------------------------------------------------------------------------


def _store(rows: list[_DoseRow], commune: AdministrativeUnit, import_id: int,
           result: ImportResult, progress: Callable[[float], None]) -> None:
    hamlet_ids = set(hamlets_of(commune).values())
    # The big reads go through the session's connection, in its transaction: what is read is
    # only looked at, and ORM rows would cost more than the rest of the import.
    db.session.flush()
    connection = db.session.connection()
    residents = _Residents(commune, hamlet_ids, connection)
    recorded = {(row.resident_id, row.kind): row for row in connection.execute(select(
        Dose.id, Dose.resident_id, Dose.kind, Dose.vaccine, Dose.given_on, Dose.place)
        .join(Resident, Resident.id == Dose.resident_id)
        .where(Resident.hamlet_id.in_(hamlet_ids)))}
    # Rows set aside by earlier imports: still waiting (their ids), or matched by hand since.
    waiting: dict[tuple, list[int]] = defaultdict(list)
    matched_by_hand: set[tuple] = set()
    for stored in connection.execute(select(
            UnmatchedDose.id, UnmatchedDose.full_name, UnmatchedDose.birth_date,
            UnmatchedDose.birth_year, UnmatchedDose.id_number, UnmatchedDose.kind,
            UnmatchedDose.resident_id).where(UnmatchedDose.commune_id == commune.id)):
        key = ((stored.kind, stored.id_number) if stored.id_number else
               (stored.kind, fold(stored.full_name), stored.birth_date or stored.birth_year))
        if stored.resident_id is None:
            waiting[key].append(stored.id)
        else:
            matched_by_hand.add(key)
    progress(0.55)

    now = utcnow()
    new_doses, changes, set_aside, resolved = [], [], [], []
    seen_doses: set[tuple[int, DoseKind]] = set()
    seen_unmatched: set[tuple] = set()
    for row in rows:
        resident_id, why = residents.match(row)
        if resident_id is None:
            _set_aside(row, why, commune, import_id, waiting, matched_by_hand, seen_unmatched,
                       set_aside, result)
            continue
        # A row set aside before that now finds its resident leaves the list to match by hand.
        resolved.extend({"id": stored_id, "resident_id": resident_id, "matched_at": now}
                        for stored_id in waiting.pop(row.person_key, ()))
        if (resident_id, row.kind) in seen_doses:
            result.unchanged += 1  # the same dose again further down the file
            continue
        seen_doses.add((resident_id, row.kind))
        dose = recorded.get((resident_id, row.kind))
        # The values are the platform's, whoever recorded the dose first (platform.py).
        changed = platform_changes(dose, row.vaccine, row.given_on, row.place)
        if dose is None:
            new_doses.append({"resident_id": resident_id, "kind": row.kind, **changed,
                              "created_at": now})
        elif changed:
            changes.append({"id": dose.id, **changed})
        else:
            result.unchanged += 1
    progress(0.6)

    for start in range(0, len(new_doses), BATCH):
        db.session.execute(insert(Dose), new_doses[start:start + BATCH])
        progress(0.6 + 0.3 * min(start + BATCH, len(new_doses)) / len(new_doses))
    for start in range(0, len(changes), BATCH):
        db.session.execute(update(Dose), changes[start:start + BATCH])
    changed_ids = {change["id"] for change in changes}
    # Written round the session: the coverage figures of these people follow at the commit.
    summary.touch({dose["resident_id"] for dose in new_doses}
                  | {row.resident_id for row in recorded.values() if row.id in changed_ids})
    for start in range(0, len(set_aside), BATCH):
        db.session.execute(insert(UnmatchedDose), set_aside[start:start + BATCH])
    for start in range(0, len(resolved), BATCH):
        db.session.execute(update(UnmatchedDose), resolved[start:start + BATCH])
    progress(1.0)
    result.created = len(new_doses)
    result.updated = len(changes)
    result.refused.sort(key=lambda refused: refused.line)


def _set_aside(row: _DoseRow, why: str, commune: AdministrativeUnit, import_id: int,
               waiting: dict[tuple, list[int]], matched_by_hand: set[tuple],
               seen_unmatched: set[tuple], set_aside: list[dict], result: ImportResult) -> None:
    """A row that matches no one: stored to be matched by hand, unless it already is."""
    key = row.person_key
    if key in matched_by_hand and key not in waiting:
        result.unchanged += 1  # matched by hand after an earlier import: its dose is recorded
        return
    result.unmatched += 1
    result.unmatched_rows.append(Refused(row.line, row.cells, [why]))
    if key in waiting or key in seen_unmatched:
        return
    seen_unmatched.add(key)
    set_aside.append({
        "import_id": import_id, "commune_id": commune.id, "line": row.line,
        "full_name": row.full_name, "birth_date": row.birth_date, "birth_year": row.birth_year,
        "id_number": row.id_number, "phone": row.phone, "kind": row.kind.value,
        "vaccine": row.vaccine, "given_on": row.given_on, "place": row.place,
    })
