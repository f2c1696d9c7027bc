"""What both importers stand on: a row's cells, the checks of who a row is about, the result.

The register (residents.py) and the platform's export (doses.py) both name a person by name,
birth date or year, ID number and phone. Those are checked here, once, with the same messages;
where the two files differ (the platform gives no sex, and a bad phone there is only dropped)
the importer says so in the arguments of `check_person`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from flask_babel import format_decimal, gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.imports.reading import LONG_CELL, Cell, SourceRow, Table, parse_birth_date
from portal.residents.identity import (
    InvalidValue, check_birth_date, check_birth_year, clean_id_number, clean_phone,
    female_from_id_number,
)
from portal.residents.models import Sex
from portal.text import fold, has_control_characters, normalise_name
from portal.units.models import AdministrativeUnit, UnitLevel

# Rows a statement writes at once.
BATCH = 2_000
# A name is stored in 120 characters, for a resident as for a dose waiting to be matched.
NAME_LENGTH = 120
SEXES = {"nam": Sex.MALE, "male": Sex.MALE, "m": Sex.MALE, "trai": Sex.MALE,
         "nu": Sex.FEMALE, "female": Sex.FEMALE, "f": Sex.FEMALE, "gai": Sex.FEMALE}
# What a hamlet calls itself, dropped to compare names: "Ấp Mỹ Khánh" is "My Khanh" too.
HAMLET_KINDS = re.compile(r"^(khu vuc|kv|to dan pho|tdp|khu pho|kp|thon|ap|to|xom|ban|buon|"
                          r"lang|khom|khu)(?:\b|(?=\d))\.?\s*")


@dataclass
class Refused:
    """A row of the file that was not imported, and why."""

    line: int
    cells: list[Cell]
    reasons: list[str]


class Change(NamedTuple):
    """A field of a person an import changed: the report lists each."""

    line: int
    name: str
    field: str
    before: object
    after: object


class Conflict(NamedTuple):
    """A field the register would change back over a correction made by hand: not applied."""

    line: int
    name: str
    field: str
    kept: object  # the value corrected by hand, kept
    register: object  # what the register says
    by: str
    at: datetime


@dataclass
class ImportResult:
    """What an import did. Only doses set rows aside to be matched by hand (`unmatched`)."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: int = 0
    refused: list[Refused] = field(default_factory=list)
    unmatched_rows: list[Refused] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def left_over(self) -> list[Refused]:
        """The rows the report lists: refused, or set aside for matching by hand, in file order."""
        return sorted([*self.refused, *self.unmatched_rows], key=lambda row: row.line)


def checked_rows(table: Table, check: Callable[[SourceRow], tuple[object, list[str]]],
                 result: ImportResult, progress: Callable[[float], None]) -> list:
    """Every row of the table through `check`: the good ones returned, in order; the others
    refused in `result` with their reasons. The checks are the first half of the progress.

    A row with a cell longer than any a register has is broken (a paste gone wrong): it is
    refused before its checks, so that nothing else (an ID number seen) is taken from it.
    """
    good = []
    for position, row in enumerate(table.rows):
        reasons = (overlong_cells(table.headers, row.cells)
                   + control_characters(table.headers, row.cells))
        item, reasons = (None, reasons) if reasons else check(row)
        if reasons:
            result.refused.append(Refused(row.line, row.cells, reasons))
        else:
            good.append(item)
        if position % 5_000 == 0:
            progress(0.5 * position / max(1, len(table.rows)))
    return good


def overlong_cells(headers: list[str], cells: list[Cell]) -> list[str]:
    """A reason for each cell of the row longer than LONG_CELL characters, by its column."""
    return [_("“%(column)s” holds more than %(n)s characters: no register has a cell so long.",
              column=headers[index] if index < len(headers) else index + 1,
              n=format_decimal(LONG_CELL, format="#,##0"))
            for index, value in enumerate(cells)
            if isinstance(value, str) and len(value) > LONG_CELL]


# --- a row's cells -----------------------------------------------------------------------


def control_characters(headers: list[str], cells: list[Cell]) -> list[str]:
    """A reason for each cell holding a control character (a NUL...), which no field takes:
    the row is refused with them, before any check reads it."""
    return [_("The column “%(column)s” holds invisible control characters (such as NUL).",
              column=headers[index] if index < len(headers) else index + 1)
            for index, value in enumerate(cells)
            if isinstance(value, str) and has_control_characters(value, multiline=True)]


def cell(cells: list[Cell], mapping: dict[str, int], name: str) -> Cell:
    """The cell of the field `name` as the file holds it (text, a date or None)."""
    index = mapping.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def cell_text(cells: list[Cell], mapping: dict[str, int], name: str) -> str | None:
    """The cell of the field `name` as text (a date as dd/mm/yyyy), None when blank."""
    value = cell(cells, mapping, name)
    if value is None:
        return None
    text = value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value)
    return text.strip() or None


# --- who a row is about ------------------------------------------------------------------


@dataclass
class Person:
    """Who a row is about, as its cells say, cleaned: None where a cell is blank or wrong."""

    full_name: str
    birth_date: date | None
    birth_year: int | None
    sex: Sex | None
    id_number: str | None
    phone: str | None


def check_person(cells: list[Cell], mapping: dict[str, int], today: date, *,
                 birth_required: bool, gives_sex: bool,
                 refuses_bad_phone: bool) -> tuple[Person, list[str]]:
    """The person a row names and the reasons (in the user's language) it cannot be taken.

    Each file says what it holds: `birth_required`, a blank birth is a reason; `gives_sex`,
    the file has a sex column (a blank one is read off a 12-digit CCCD, and the CCCD is
    checked against it), else the ID number is checked against the birth year only;
    `refuses_bad_phone`, a phone that is no Vietnamese mobile is a reason, else it is dropped.
    """
    reasons: list[str] = []
    name = normalise_name(cell_text(cells, mapping, "full_name") or "")[:NAME_LENGTH]
    if not name:
        reasons.append(_("The full name is empty."))

    birth_date, birth_year = None, None
    try:
        parsed = parse_birth_date(cell(cells, mapping, "birth_date"))
        if parsed is None:
            if birth_required:
                reasons.append(_("The date of birth is empty."))
        else:
            birth_date = check_birth_date(parsed.date, today)
            birth_year = check_birth_year(parsed.year, today)
    except InvalidValue as error:
        reasons.append(str(error))
    except ValueError:
        reasons.append(_("“%(value)s” is not a date: write it as dd/mm/yyyy.",
                         value=cell_text(cells, mapping, "birth_date")))

    sex, sex_text = None, None
    if gives_sex:
        sex_text = cell_text(cells, mapping, "sex")
        sex = SEXES.get(fold(sex_text)) if sex_text else None
        if sex_text and sex is None:
            reasons.append(_("“%(value)s” is not a sex: write Nam or Nữ.", value=sex_text))

    id_number = None
    try:
        id_number = clean_id_number(cell_text(cells, mapping, "id_number"), birth_year,
                                    None if sex is None else sex is Sex.FEMALE)
    except InvalidValue as error:
        reasons.append(str(error))
    if gives_sex and sex is None:
        female = female_from_id_number(id_number)  # the CCCD says it
        if female is not None:
            sex = Sex.FEMALE if female else Sex.MALE
        elif not sex_text:
            reasons.append(_("The sex is empty, and no 12-digit ID number tells it."))

    phone = None
    try:
        phone = clean_phone(cell_text(cells, mapping, "phone"))
    except InvalidValue as error:
        if refuses_bad_phone:
            reasons.append(str(error))

    return Person(full_name=name, birth_date=birth_date, birth_year=birth_year, sex=sex,
                  id_number=id_number, phone=phone), reasons


def check_guardian(cells: list[Cell], mapping: dict[str, int]) -> tuple[
        str | None, str | None, list[str]]:
    """A minor's parent or guardian as the row names them (name, phone; None where blank),
    and the reasons the row cannot be taken: a phone that is no Vietnamese mobile."""
    name = normalise_name(cell_text(cells, mapping, "guardian_name") or "")[:NAME_LENGTH]
    phone, reasons = None, []
    try:
        phone = clean_phone(cell_text(cells, mapping, "guardian_phone"))
    except InvalidValue as error:
        reasons.append(_("The guardian's phone: %(reason)s", reason=str(error)))
    return name or None, phone, reasons


# --- the commune's hamlets ---------------------------------------------------------------


def hamlets_of(commune: AdministrativeUnit) -> dict[str, int]:
    """The commune's hamlets by folded name, and by that name without its kind ("my khanh")."""
    found: dict[str, int] = {}
    for hamlet_id, name in db.session.execute(select(AdministrativeUnit.id, AdministrativeUnit.name)
                                              .where(AdministrativeUnit.parent_id == commune.id,
                                                     AdministrativeUnit.level == UnitLevel.HAMLET)):
        folded = fold(name)
        found[folded] = hamlet_id
        found.setdefault(_hamlet_key(folded), hamlet_id)
    return found


def hamlet_named(name: str | None, hamlets: dict[str, int]) -> int | None:
    """The hamlet (of hamlets_of) a cell names, typed with or without accents or its kind."""
    if not name:
        return None
    folded = fold(name)
    return hamlets.get(folded) or hamlets.get(_hamlet_key(folded))


def _hamlet_key(folded: str) -> str:
    """"khu vuc 01" -> "1", "ap my khanh" -> "my khanh": the part that tells hamlets apart."""
    bare = HAMLET_KINDS.sub("", folded).strip()
    if bare.isdigit():
        return bare.lstrip("0") or "0"  # "khu vuc 01" and "KV1" are the same hamlet
    return bare
