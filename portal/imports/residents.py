"""The population register into a commune: check every row, recognise who is already there,
add or update the rest, and give back the rows that could not be taken with the reason for each.

A person already in the commune is recognised by ID number, else by folded name, birth date
(or year) and household. Importing the same file twice changes nothing: the second time every
good row is recognised, and unchanged. The good rows go in even when others are refused; they
go in all together, in one transaction, so a failure midway leaves nothing half imported.

Everything is read and written in bulk (the commune's residents and households once, inserts
and updates by the thousand): a row costs its checks, not queries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from portal.bulk import bulk_insert
from portal.coverage import summary
from portal.extensions import db
from portal.imports.base import (
    BATCH, Change, Conflict, ImportResult, Person, Refused, cell_text, check_guardian,
    check_person, checked_rows, hamlet_named, hamlets_of,
)
from portal.imports.reading import Cell, SourceRow, Table
from portal.residents.corrections import hand_corrections, trace_import
from portal.residents.models import (
    Household, RecordSource, Resident, ResidentSearchTerm, ResidentStatus,
)
from portal.residents.search import ENTRY_COLUMNS, search_entries
from portal.text import fold
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit

# A household's address is stored in 255 characters (households.address); a longer one is cut
# as the row is read, so that the household is known by what is stored, at the next import too.
ADDRESS_LENGTH = 255
RESIDENT_COLUMNS = ("hamlet_id", "household_id", "full_name", "name_folded", "birth_date",
                    "birth_year", "sex", "id_number", "phone", "guardian_name", "guardian_phone",
                    "chronic_condition", "immunocompromised", "pregnant", "status", "source",
                    "created_at", "updated_at")


@dataclass
class _Person(Person):
    """A good row, checked and cleaned, as it would be stored."""

    line: int
    cells: list[Cell]
    name_folded: str
    hamlet_id: int
    household_key: tuple[int, str]  # (hamlet id, code or folded address)
    household_code: str | None
    address: str | None
    guardian_name: str | None
    guardian_phone: str | None


def import_residents(table: Table, mapping: dict[str, int], commune: AdministrativeUnit,
                     today: date, progress: Callable[[float], None] | None = None, *,
                     import_id: int | None = None, user=None) -> ImportResult:
    """Import the table's rows into the commune, columns as mapped; the caller commits.

    Each field it changes is kept with its before and after (residents/corrections.py). A
    field corrected by hand since the register last changed it is not overwritten: the row is
    reported as a conflict, for the commune lead to decide.
    """
    progress = progress or (lambda share: None)
    result = ImportResult(total=len(table.rows))
    hamlets = hamlets_of(commune)
    seen_ids: dict[str, int] = {}

    def check(row: SourceRow) -> tuple[_Person | None, list[str]]:
        person, reasons = _checked(row, mapping, hamlets, commune, today)
        if person is not None and person.id_number:
            if person.id_number in seen_ids:
                reasons.append(_("The same ID number is on line %(line)s of the file.",
                                 line=seen_ids[person.id_number]))
            else:
                seen_ids[person.id_number] = person.line
        return person, reasons

    people = checked_rows(table, check, result, progress)
    _store(people, commune, hamlets, result, progress, import_id=import_id, user=user)
    return result


# --- checking a row ----------------------------------------------------------------------


def _checked(row: SourceRow, mapping: dict[str, int], hamlets: dict[str, int],
             commune: AdministrativeUnit, today: date) -> tuple[_Person | None, list[str]]:
    """The row as a person to store, or the reasons it cannot be (in the user's language)."""
    cells = row.cells
    # The register gives every birth and the sex; a wrong phone there is a mistake to fix.
    person, reasons = check_person(cells, mapping, today, birth_required=True, gives_sex=True,
                                   refuses_bad_phone=True)
    guardian_name, guardian_phone, guardian_reasons = check_guardian(cells, mapping)
    reasons += guardian_reasons
    hamlet_name = cell_text(cells, mapping, "hamlet")
    hamlet_id = hamlet_named(hamlet_name, hamlets)
    if hamlet_name is None:
        reasons.append(_("The hamlet is empty."))
    elif hamlet_id is None:
        reasons.append(_("There is no hamlet “%(name)s” in %(commune)s.",
                         name=hamlet_name, commune=commune.name))
    if reasons:
        return None, reasons
    code = cell_text(cells, mapping, "household_code")
    address = (cell_text(cells, mapping, "address") or "")[:ADDRESS_LENGTH].rstrip() or None
    name = person.full_name
    household = code.upper() if code else fold(address) if address else f"~{fold(name)}"
    return _Person(
        **vars(person), line=row.line, cells=cells, name_folded=fold(name), hamlet_id=hamlet_id,
        household_key=(hamlet_id, household), household_code=code.upper() if code else None,
        address=address, guardian_name=guardian_name, guardian_phone=guardian_phone,
    ), []


# --- storing -----------------------------------------------------------------------------


# The fields of a person an import compares; a name's folded form follows the name.
_TRACED = ("full_name", "birth_date", "birth_year", "sex", "id_number", "phone", "guardian_name",
           "guardian_phone", "hamlet_id", "household_id")


def _store(people: list[_Person], commune: AdministrativeUnit, hamlets: dict[str, int],
           result: ImportResult, progress: Callable[[float], None], *,
           import_id: int | None, user) -> None:
    hamlet_ids = set(hamlets.values())
    corrected = hand_corrections(hamlet_ids)
    households = _households(hamlet_ids)
    existing = db.session.execute(select(
        Resident.id, Resident.full_name, Resident.name_folded, Resident.birth_date,
        Resident.birth_year, Resident.sex, Resident.id_number, Resident.phone,
        Resident.guardian_name, Resident.guardian_phone, Resident.household_id, Resident.hamlet_id,
    ).where(Resident.hamlet_id.in_(hamlet_ids))).all()
    by_id_number = {row.id_number: row for row in existing if row.id_number}
    by_identity = {(row.name_folded, row.birth_date or row.birth_year, row.household_id): row
                   for row in existing}
    elsewhere = _id_numbers_elsewhere([p.id_number for p in people if p.id_number
                                       and p.id_number not in by_id_number], hamlet_ids)

    # Households first: a new person may need a new one.
    new_households = {}
    for person in people:
        if person.household_key not in households and person.household_key not in new_households:
            new_households[person.household_key] = person
    if new_households:
        # Plain executemany (RETURNING with many rows is slow on SQLite); then the new ids are
        # read back by the (hamlet, code) that is unique to each.
        codes = {key: _household_code(person) for key, person in new_households.items()}
        bulk_insert("households", ("hamlet_id", "code", "address"), [
            (key[0], codes[key], person.address or "") for key, person in new_households.items()])
        by_code = {(hamlet_id, code): household_id for household_id, hamlet_id, code in
                   db.session.execute(select(Household.id, Household.hamlet_id, Household.code)
                                      .where(Household.hamlet_id.in_(hamlet_ids)))}
        for key in new_households:
            households[key] = by_code[(key[0], codes[key])]

    now = utcnow()
    new_rows, changes, traces = [], [], []
    renamed: dict[int, str] = {}  # resident id -> new name: to file under its words
    for person in people:
        household_id = households[person.household_key]
        match = (by_id_number.get(person.id_number) if person.id_number else None) or \
            by_identity.get((person.name_folded, person.birth_date or person.birth_year,
                             household_id))
        values = {"full_name": person.full_name, "name_folded": person.name_folded,
                  "birth_date": person.birth_date, "birth_year": person.birth_year,
                  "sex": person.sex, "id_number": person.id_number or (match and match.id_number),
                  "phone": person.phone or (match and match.phone),
                  "guardian_name": person.guardian_name or (match and match.guardian_name),
                  "guardian_phone": person.guardian_phone or (match and match.guardian_phone),
                  "household_id": household_id, "hamlet_id": person.hamlet_id}
        if match is None and person.id_number in elsewhere:
            result.refused.append(Refused(person.line, person.cells, [
                _("This ID number belongs to a resident of another commune (%(commune)s).",
                  commune=elsewhere[person.id_number])]))
            continue
        if match is None:
            new_rows.append((
                person.hamlet_id, household_id, person.full_name, person.name_folded,
                person.birth_date, person.birth_year, person.sex.value, person.id_number,
                person.phone, person.guardian_name, person.guardian_phone, False, False, False,
                ResidentStatus.PRESENT.value,
                RecordSource.REGISTER.value, now, now))
            # A later row of the file for the same person is then recognised, not added twice.
            by_identity[(person.name_folded, person.birth_date or person.birth_year,
                         household_id)] = _Placeholder(values)
            continue
        if isinstance(match, _Placeholder):
            result.unchanged += 1
            continue
        changed = {name: value for name, value in values.items() if getattr(match, name) != value}
        for name in [n for n in _TRACED if n in changed and (match.id, n) in corrected]:
            hand = corrected[(match.id, name)]
            result.conflicts.append(Conflict(person.line, person.full_name, name,
                                             getattr(match, name), changed.pop(name), hand.by,
                                             hand.at))
            if name == "full_name":
                changed.pop("name_folded", None)
        if set(changed) - {"name_folded"}:
            changes.append({"id": match.id, **changed, "updated_at": now})
            result.changes += [Change(person.line, match.full_name, name, getattr(match, name),
                                      changed[name]) for name in _TRACED if name in changed]
            traces += [(match.id, name, getattr(match, name), changed[name])
                       for name in _TRACED if name in changed]
            if "full_name" in changed:
                renamed[match.id] = person.full_name
        else:
            result.unchanged += 1
    progress(0.6)
    for start in range(0, len(new_rows), 10 * BATCH):
        bulk_insert("residents", RESIDENT_COLUMNS, new_rows[start:start + 10 * BATCH])
        progress(0.6 + 0.3 * (start + 10 * BATCH) / len(new_rows))
    if new_rows:
        # The new residents are those of these hamlets stamped with this import's moment.
        added = db.session.execute(select(Resident.id, Resident.full_name).where(
            Resident.hamlet_id.in_(hamlet_ids), Resident.created_at == now)).all()
        summary.touch([resident_id for resident_id, _name in added])
        bulk_insert("resident_search_terms", ENTRY_COLUMNS, [
            entry for resident_id, name in added
            for entry in search_entries(commune.id, resident_id, name)])
    progress(0.95)
    for start in range(0, len(changes), BATCH):
        db.session.execute(update(Resident), changes[start:start + BATCH])
    # Written round the session: the coverage figures of these people follow at the commit.
    summary.touch([change["id"] for change in changes])
    trace_import(traces, import_id=import_id, user=user, at=now)
    _reindex(renamed, commune.id)
    result.created = len(new_rows)
    result.updated = len(changes)
    result.refused.sort(key=lambda refused: refused.line)


class _Placeholder:
    """A person added earlier in this same file: a later row for them changes nothing."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


def _households(hamlet_ids: set[int]) -> dict[tuple[int, str], int]:
    """The hamlets' households by (hamlet, code) and by (hamlet, folded address)."""
    found: dict[tuple[int, str], int] = {}
    for household_id, hamlet_id, code, address in db.session.execute(select(
            Household.id, Household.hamlet_id, Household.code, Household.address
    ).where(Household.hamlet_id.in_(hamlet_ids))):
        found[(hamlet_id, code.upper())] = household_id
        if address:
            found.setdefault((hamlet_id, fold(address)), household_id)
    return found


def _household_code(person: _Person) -> str:
    """The register's household code, or one made from the address (stable across imports)."""
    if person.household_code:
        return person.household_code[:32].upper()
    return "DC-" + hashlib.sha1(person.household_key[1].encode()).hexdigest()[:12].upper()


def _id_numbers_elsewhere(numbers: list[str], hamlet_ids: set[int]) -> dict[str, str]:
    """Of these ID numbers, those already held by residents outside the commune: their commune."""
    found: dict[str, str] = {}
    parent = AdministrativeUnit.__table__.alias("commune")
    for start in range(0, len(numbers), 1_000):
        for number, commune_name in db.session.execute(
            select(Resident.id_number, parent.c.name)
            .join(AdministrativeUnit, AdministrativeUnit.id == Resident.hamlet_id)
            .join(parent, parent.c.id == AdministrativeUnit.parent_id)
            .where(Resident.id_number.in_(numbers[start:start + 1_000]),
                   Resident.hamlet_id.not_in(hamlet_ids))
        ):
            found[number] = commune_name
    return found


def _reindex(renamed: dict[int, str], commune_id: int) -> None:
    """Renamed residents are found under their new names' words, and no longer the old ones."""
    items = list(renamed.items())
    for start in range(0, len(items), BATCH):
        batch = items[start:start + BATCH]
        db.session.execute(delete(ResidentSearchTerm).where(
            ResidentSearchTerm.resident_id.in_([resident_id for resident_id, _ in batch])))
        bulk_insert("resident_search_terms", ENTRY_COLUMNS, [
            entry for resident_id, name in batch
            for entry in search_entries(commune_id, resident_id, name)])
