"""Correcting the register: a person's or a household's fields changed, each change kept with
what it was and what it became, by whom and when, shown on the card as its history.

One function applies a correction, whoever asks (the card's form today; an import or the
police's answer later): `correct_resident` and `correct_household`. Values are checked before
(residents/identity.py, through the forms); here they are compared, applied and traced.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from portal.audit.log import record
from portal.bulk import bulk_insert
from portal.extensions import db
from portal.labels import RESIDENT_STATUS
from portal.residents.identity import mask_id_number
from portal.residents.models import (
    Household, RegisterChange, Resident, ResidentStatus, Sex,
)
from portal.residents.search import index_resident
from portal.text import fold, normalise_name
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit


class Source(enum.StrEnum):
    """Where a correction came from."""

    HAND = "hand"  # a commune lead or a screener, on the card
    IMPORT = "import"  # a register import updated the person
    MERGE = "merge"  # two records of one person made one, or a merge undone
    POLICE = "police"  # the commune police's answer to the identities to check


# A person's fields a correction may change, in the order the card's history lists them.
PERSON_FIELDS = (
    "full_name", "birth_date", "birth_year", "sex", "id_number", "phone", "hamlet_id",
    "household_id", "guardian_name", "guardian_phone", "chronic_condition",
    "immunocompromised", "pregnant", "status", "status_since",
)
# What a screener may correct at the door: how to reach the person (DESIGN.md: contact only).
CONTACT_FIELDS = frozenset({"phone", "guardian_name", "guardian_phone"})
HOUSEHOLD_FIELDS = ("address", "head_name")

FIELD_LABEL = {
    "full_name": _l("Full name"),
    "birth_date": _l("Date of birth"),
    "birth_year": _l("Year of birth"),
    "sex": _l("Sex"),
    "id_number": _l("ID number"),
    "phone": _l("Phone"),
    "hamlet_id": _l("Hamlet"),
    "household_id": _l("Household"),
    "guardian_name": _l("Parent or guardian"),
    "guardian_phone": _l("Parent or guardian's phone"),
    "chronic_condition": _l("Chronic condition"),
    "immunocompromised": _l("Immunocompromised"),
    "pregnant": _l("Pregnant"),
    "status": _l("Status"),
    "status_since": _l("Status since"),
    "address": _l("Household address"),
    "head_name": _l("Head of household"),
}


def stored(value) -> str | None:
    """A value as its history keeps it (what `shown` reads): ISO dates, codes, ids, 1/0."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def correct_resident(resident: Resident, values: dict, *, user, source: Source = Source.HAND,
                     allowed=PERSON_FIELDS) -> list[RegisterChange]:
    """Apply the values that differ from the person's, each kept with its before and after;
    the caller commits. Fields not in `allowed` are refused (ValueError): the view says which
    a role may send. A new name is filed again in the search index; a new hamlet too."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"fields not allowed here: {sorted(unknown)}")
    if values.get("full_name"):
        values = {**values, "full_name": normalise_name(values["full_name"])}
    if "guardian_name" in values:
        values = {**values, "guardian_name": normalise_name(values["guardian_name"] or "") or None}
    if values.get("status") is ResidentStatus.PRESENT:  # living here: no day of leaving
        values = {**values, "status_since": None}
    changed = {name: value for name, value in values.items()
               if stored(getattr(resident, name)) != stored(value)}
    if not changed:
        return []
    hamlet_before = resident.hamlet_id
    changes = _applied(resident, changed, user=user, source=source, resident_id=resident.id)
    if "full_name" in changed:
        resident.name_folded = fold(resident.full_name)
    db.session.add_all(changes)
    db.session.flush()
    if "full_name" in changed or "hamlet_id" in changed:
        commune_id = db.session.scalar(select(AdministrativeUnit.parent_id).where(
            AdministrativeUnit.id == resident.hamlet_id))
        index_resident(resident, commune_id)
    # The trail says which fields changed, not to what: the values stay with the person,
    # where an erasure reaches them (the trail can never be changed).
    record("resident.correct", "resident", resident.id, unit_id=resident.hamlet_id, user=user,
           before={"hamlet_id": hamlet_before}, after={"fields": sorted(changed),
                                                       "source": source.value})
    return changes


def correct_household(household: Household, values: dict, *, user,
                      source: Source = Source.HAND) -> list[RegisterChange]:
    """A household's own fields (its address), with their history; the caller commits."""
    unknown = set(values) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise ValueError(f"fields not allowed here: {sorted(unknown)}")
    changed = {name: value for name, value in values.items()
               if value and stored(getattr(household, name)) != stored(value)}
    if not changed:
        return []
    changes = _applied(household, changed, user=user, source=source,
                       household_id=household.id)
    db.session.add_all(changes)
    record("household.correct", "household", household.id, unit_id=household.hamlet_id,
           user=user, after={"fields": sorted(changed), "source": source.value})
    return changes


def _applied(record_, changed: dict, *, user, source: Source, **owner) -> list[RegisterChange]:
    """The changed values set on a person or a household, each as a history row of one save
    (owner: its resident_id or household_id); the caller adds them to the session."""
    change_id, now = str(uuid.uuid4()), utcnow()
    changes = [RegisterChange(
        change_id=change_id, field=name, before=stored(getattr(record_, name)),
        after=stored(value), source=source.value, user_id=getattr(user, "id", None),
        user_name=getattr(user, "full_name", None), changed_at=now, **owner)
        for name, value in changed.items()]
    for name, value in changed.items():
        setattr(record_, name, value)
    return changes


@dataclass(frozen=True)
class HandCorrection:
    """A field whose latest change was made by hand: an import does not overwrite it."""

    value: str | None
    by: str
    at: datetime


def hand_corrections(hamlet_ids) -> dict[tuple[int, str], HandCorrection]:
    """Of the residents of these hamlets, the fields whose latest change was a correction by
    hand, by (resident id, field): what the register says may be the very mistake corrected."""
    latest = (select(func.max(RegisterChange.id))
              .join(Resident, Resident.id == RegisterChange.resident_id)
              .where(Resident.hamlet_id.in_(hamlet_ids))
              .group_by(RegisterChange.resident_id, RegisterChange.field))
    return {(row.resident_id, row.field): HandCorrection(row.after, row.user_name or "—",
                                                         row.changed_at)
            for row in db.session.execute(
                select(RegisterChange.resident_id, RegisterChange.field, RegisterChange.after,
                       RegisterChange.user_name, RegisterChange.changed_at)
                .where(RegisterChange.id.in_(latest), RegisterChange.source == Source.HAND.value))}


def trace_import(changes: list[tuple[int, str, object, object]], *, import_id: int | None,
                 user, at: datetime) -> None:
    """The fields an import changed, (resident id, field, before, after), kept as their
    history: in bulk, one change per person."""
    by_person: dict[int, str] = {}
    rows = []
    for resident_id, name, before, after in changes:
        change_id = by_person.setdefault(resident_id, str(uuid.uuid4()))
        rows.append((change_id, resident_id, name, stored(before), stored(after),
                     Source.IMPORT.value, import_id, getattr(user, "id", None),
                     getattr(user, "full_name", None), at))
    bulk_insert("register_changes", ("change_id", "resident_id", "field", "before", "after",
                                     "source", "import_id", "user_id", "user_name",
                                     "changed_at"), rows)


@dataclass(frozen=True)
class HistoryLine:
    """One field's change as the card shows it."""

    field: str
    label: str
    before: str
    after: str
    by: str
    at: datetime
    source: str


def history_of(resident: Resident) -> list[HistoryLine]:
    """The person's changes and their household's, newest first, in words."""
    conditions = [RegisterChange.resident_id == resident.id]
    if resident.household_id is not None:
        conditions.append(RegisterChange.household_id == resident.household_id)
    rows = list(db.session.scalars(select(RegisterChange).where(or_(*conditions))
                                   .order_by(RegisterChange.changed_at.desc(),
                                             RegisterChange.id.desc())))
    order = {name: n for n, name in enumerate((*PERSON_FIELDS, *HOUSEHOLD_FIELDS))}
    rows.sort(key=lambda r: (-r.changed_at.timestamp(), r.change_id, order.get(r.field, 99)))
    names = _names_of(rows)
    return [HistoryLine(row.field, str(FIELD_LABEL.get(row.field, row.field)),
                        shown(row.field, row.before, names), shown(row.field, row.after, names),
                        _by(row), row.changed_at, row.source) for row in rows]


def _by(row: RegisterChange) -> str:
    """Who made a change, and how when not by hand."""
    who = row.user_name or "—"
    if row.source == Source.IMPORT.value:
        return str(_l("%(who)s, importing the register", who=who))
    if row.source == Source.POLICE.value:
        return str(_l("%(who)s, from the police's answer", who=who))
    if row.source == Source.MERGE.value:
        return str(_l("%(who)s, merging two records of this person", who=who))
    return who


def history_of_household(household: Household) -> list[HistoryLine]:
    """A household's own changes (its address, its head), newest first, in words."""
    rows = list(db.session.scalars(select(RegisterChange).where(
        RegisterChange.household_id == household.id, RegisterChange.resident_id.is_(None))
        .order_by(RegisterChange.changed_at.desc(), RegisterChange.id.desc())))
    return [HistoryLine(row.field, str(FIELD_LABEL.get(row.field, row.field)),
                        shown(row.field, row.before), shown(row.field, row.after), _by(row),
                        row.changed_at, row.source) for row in rows]


def _names_of(rows: list[RegisterChange]) -> dict[tuple[str, str], str]:
    """Hamlets and households named by id in the rows, by (field, id)."""
    return names_of((row.field, value) for row in rows for value in (row.before, row.after))


def names_of(values) -> dict[tuple[str, str], str]:
    """The names of the hamlets and households that (field, kept value) pairs name by id, for
    `shown`."""
    ids = {"hamlet_id": set(), "household_id": set()}
    for name, value in values:
        if name in ids and value and value.isdigit():
            ids[name].add(value)
    names = {}
    if ids["hamlet_id"]:
        for unit_id, name in db.session.execute(select(AdministrativeUnit.id, AdministrativeUnit.name)
                                                .where(AdministrativeUnit.id.in_(
                                                    [int(i) for i in ids["hamlet_id"]]))):
            names[("hamlet_id", str(unit_id))] = name
    if ids["household_id"]:
        for household_id, code, address in db.session.execute(
                select(Household.id, Household.code, Household.address).where(
                    Household.id.in_([int(i) for i in ids["household_id"]]))):
            names[("household_id", str(household_id))] = f"{code} · {address}"
    return names


def shown(field: str, value: str | None, names: dict | None = None, masked: bool = True) -> str:
    """A kept value in words: dd/mm/yyyy, Nam/Nữ, có/không, a hamlet's or household's name."""
    if value is None:
        return "—"
    if field in ("birth_date", "status_since"):
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if field in ("chronic_condition", "immunocompromised", "pregnant"):
        return str(_l("yes")) if value == "1" else str(_l("no"))
    if field == "sex":
        return str(_l("Female")) if value == Sex.FEMALE.value else str(_l("Male"))
    if field == "status":
        return str(RESIDENT_STATUS.get(ResidentStatus(value), value))
    if field in ("hamlet_id", "household_id"):
        return (names or {}).get((field, value), f"#{value}")
    if field == "id_number" and masked:
        return mask_id_number(value)
    return value
