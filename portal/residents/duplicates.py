"""Likely duplicates in a commune's register, with the evidence for each pair; merging two
records of one person under the survivor, keeping every visit, dose and history of both; an
admin's undo of a merge; a pair judged to be two people, remembered.

Found in the database by grouping, not by comparing every person with every other: people who
share a folded name and a birth date, and people of one household who share a phone and a
birth year. (The same ID number in two communes cannot be stored: an ID number is unique in
the register, and an import refuses a number another commune holds, with its name.)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, delete, func, insert, select, update

from portal.audit.log import record
from portal.coverage import summary
from portal.extensions import db
from portal.imports.models import UnmatchedDose
from portal.lists.models import ComplianceListRow
from portal.residents.corrections import Source, correct_resident
from portal.residents.models import (
    Dose, NotDuplicate, RegisterChange, Resident, ResidentMerge, ResidentSearchTerm,
)
from portal.residents.search import index_resident
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit
from portal.visits.models import Visit


class Evidence(enum.StrEnum):
    """Why two records may be one person."""

    NAME_AND_BIRTH_DATE = "name_and_birth_date"  # the same folded name, born the same day
    PHONE_AND_YEAR_IN_HOUSEHOLD = "phone_and_year_in_household"  # one household, phone, year


@dataclass(frozen=True)
class Pair:
    """Two records that may be one person, the lower id first, and why."""

    first: Resident
    second: Resident
    evidence: tuple[Evidence, ...]


# What a merge moves from the merged record to the survivor, by table.
_MOVED = {"visits": Visit, "doses": Dose, "register_changes": RegisterChange,
          "compliance_list_rows": ComplianceListRow, "unmatched_doses": UnmatchedDose}
# The survivor's empty fields that the merged record fills.
_FILLABLE = ("birth_date", "id_number", "phone", "guardian_name", "guardian_phone",
             "household_id")


def _hamlets(commune: AdministrativeUnit):
    return select(AdministrativeUnit.id).where(AdministrativeUnit.parent_id == commune.id)


def duplicates_in(commune: AdministrativeUnit, limit: int = 500) -> list[Pair]:
    """The commune's likely duplicates, each pair once with all its evidence, the pairs judged
    two people left out; by the first record's hamlet and name."""
    hamlets = _hamlets(commune)
    found: dict[tuple[int, int], set[Evidence]] = {}
    groups = (
        (Evidence.NAME_AND_BIRTH_DATE, (Resident.name_folded, Resident.birth_date),
         Resident.birth_date.is_not(None)),
        (Evidence.PHONE_AND_YEAR_IN_HOUSEHOLD,
         (Resident.household_id, Resident.phone, Resident.birth_year),
         and_(Resident.phone.is_not(None), Resident.household_id.is_not(None))),
    )
    for evidence, keys, condition in groups:
        shared = (select(*keys).where(Resident.hamlet_id.in_(hamlets), condition)
                  .group_by(*keys).having(func.count() > 1).subquery())
        members = db.session.execute(
            select(Resident.id, *[getattr(shared.c, k.key) for k in keys])
            .join(shared, and_(*[k == getattr(shared.c, k.key) for k in keys]))
            .where(Resident.hamlet_id.in_(hamlets)).order_by(Resident.id))
        by_key: dict[tuple, list[int]] = {}
        for row in members:
            by_key.setdefault(tuple(row[1:]), []).append(row[0])
        for ids in by_key.values():
            for n, first in enumerate(ids):
                for second in ids[n + 1:]:
                    found.setdefault((first, second), set()).add(evidence)
    if not found:
        return []
    dismissed = set(db.session.execute(select(NotDuplicate.first_id, NotDuplicate.second_id)
                                       .where(NotDuplicate.first_id.in_({a for a, _ in found}))))
    pairs = [key for key in found if key not in dismissed]
    ids = {i for pair in pairs for i in pair}
    people = {r.id: r for r in db.session.scalars(select(Resident).where(Resident.id.in_(ids)))}
    result = [Pair(people[a], people[b], tuple(sorted(found[(a, b)]))) for a, b in pairs]
    result.sort(key=lambda p: (p.first.hamlet_id, p.first.name_folded, p.first.id, p.second.id))
    return result[:limit]


def not_duplicates(first: Resident, second: Resident, *, user) -> None:
    """Two people after all: remembered, not offered again. The caller commits."""
    low, high = sorted((first.id, second.id))
    if db.session.get(NotDuplicate, (low, high)) is None:
        db.session.add(NotDuplicate(first_id=low, second_id=high, user_id=user.id))
    record("resident.not_duplicate", "resident", low, unit_id=first.hamlet_id, user=user,
           after={"other": high})


def _record_of(resident: Resident) -> dict:
    """A resident's columns as JSON can keep them."""
    values = {}
    for column in Resident.__table__.columns:
        value = getattr(resident, column.key)
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        values[column.key] = value
    return values


def _restored(record_values: dict) -> dict:
    """The columns of a kept record, as the table takes them."""
    values = {}
    for column in Resident.__table__.columns:
        value = record_values.get(column.key)
        if value is not None and column.type.python_type is date:
            value = date.fromisoformat(value)
        elif value is not None and column.type.python_type is datetime:
            value = datetime.fromisoformat(value)
        values[column.key] = value
    return values


def merge(survivor: Resident, merged: Resident, *, user) -> ResidentMerge:
    """One person: the merged record's visits, doses, history, list rows and matched platform
    rows go to the survivor, which takes the merged record's values for its empty fields (each
    kept in its history); the merged record is removed, and kept in the merge for an undo.
    The caller commits."""
    if survivor.id == merged.id:
        raise ValueError("a record cannot be merged with itself")
    commune_id = db.session.scalar(select(AdministrativeUnit.parent_id).where(
        AdministrativeUnit.id == survivor.hamlet_id))
    kept = _record_of(merged)
    # Written round the session: both records' coverage figures follow at the commit.
    summary.touch((survivor.id, merged.id))
    moved = {}
    for table, model in _MOVED.items():
        ids = list(db.session.scalars(select(model.id).where(model.resident_id == merged.id)))
        moved[table] = ids
        if ids:
            db.session.execute(update(model).where(model.id.in_(ids))
                               .values(resident_id=survivor.id))
    fills = {name: getattr(merged, name) for name in _FILLABLE
             if getattr(survivor, name) in (None, "") and getattr(merged, name) not in (None, "")}
    if fills.get("household_id") and merged.hamlet_id != survivor.hamlet_id:
        fills.pop("household_id")
    db.session.execute(delete(ResidentSearchTerm).where(
        ResidentSearchTerm.resident_id == merged.id))
    db.session.flush()
    db.session.expunge(merged)
    # Removed before the survivor takes its values: an ID number is unique.
    db.session.execute(delete(Resident).where(Resident.id == kept["id"]))
    changes = correct_resident(survivor, fills, user=user, source=Source.MERGE) if fills else []
    merge_row = ResidentMerge(survivor_id=survivor.id, merged_id=kept["id"],
                              commune_id=commune_id, merged_record=kept, moved=moved,
                              filled={c.field: c.before for c in changes}, user_id=user.id)
    db.session.add(merge_row)
    db.session.flush()
    record("resident.merge", "resident", survivor.id, unit_id=survivor.hamlet_id, user=user,
           after={"merged": kept["id"], "moved": {k: len(v) for k, v in moved.items()},
                  "filled": sorted(fills)})
    return merge_row


class UndoRefused(ValueError):
    """The merge was undone already, or its survivor is gone."""


def undo_merge(merge_row: ResidentMerge, *, user) -> Resident:
    """The merged record back as it was, with what moved from it; the survivor's fields it
    filled emptied again (each kept in its history). The caller commits."""
    survivor = merge_row.survivor
    if merge_row.undone_at is not None or survivor is None:
        raise UndoRefused(merge_row.id)
    values = _restored(merge_row.merged_record)
    if merge_row.filled:  # empty again, as before the merge (an ID number goes back first)
        correct_resident(survivor, {name: None for name in merge_row.filled},
                         user=user, source=Source.MERGE)
        db.session.flush()
    db.session.execute(insert(Resident).values(**values))
    summary.touch((survivor.id, values["id"]))
    for table, ids in merge_row.moved.items():
        if ids:
            model = _MOVED[table]
            db.session.execute(update(model).where(model.id.in_(ids))
                               .values(resident_id=values["id"]))
    restored = db.session.get(Resident, values["id"])
    commune_id = merge_row.commune_id
    index_resident(restored, commune_id)
    merge_row.undone_at = utcnow()
    merge_row.undone_by_id = user.id
    record("resident.unmerge", "resident", restored.id, unit_id=restored.hamlet_id, user=user,
           after={"survivor": survivor.id, "merge": merge_row.id})
    return restored
