"""The national platform's dose wins: one rule for the bulk import and for a dose matched by hand.

The platform is the record of reference for a dose's date, vaccine and place. A dose recorded
here before (a card seen on a visit, a screener's entry) takes the platform's values where
they differ, and its source becomes the platform; a value the platform leaves empty (a place
it does not give) keeps the one recorded. A dose that already says the same is left alone.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.audit.log import record
from portal.extensions import db
from portal.imports.models import UnmatchedDose
from portal.residents.models import Dose, DoseKind, RecordSource, Resident
from portal.timeutil import utcnow


def platform_changes(recorded, vaccine: str, given_on: date | None,
                     place: str | None) -> dict[str, object]:
    """What recording the platform's dose writes: for a dose not recorded yet (`recorded` is
    None) its values and source; for a recorded one (anything with given_on, vaccine and place)
    the values that differ and the source, or nothing when it already says the same."""
    offered = {"given_on": given_on, "vaccine": vaccine, "place": place or None}
    if recorded is None:
        return {**offered, "source": RecordSource.PLATFORM}
    changed = {name: value for name, value in offered.items()
               if value not in (None, "") and getattr(recorded, name) != value}
    return {**changed, "source": RecordSource.PLATFORM} if changed else {}


def record_platform_dose(resident: Resident, kind: DoseKind, vaccine: str,
                         given_on: date | None, place: str | None) -> Dose:
    """Record the platform's dose for the resident, as platform_changes says; the caller
    commits."""
    dose = db.session.scalar(select(Dose).where(Dose.resident_id == resident.id,
                                                Dose.kind == kind))
    changes = platform_changes(dose, vaccine, given_on, place)
    if dose is None:
        dose = Dose(resident_id=resident.id, kind=kind)
        db.session.add(dose)
    for name, value in changes.items():
        setattr(dose, name, value)
    return dose


class MatchRefused(ValueError):
    """A dose set aside cannot be matched to this resident."""


class AlreadyMatched(MatchRefused):
    """Someone matched the dose meanwhile: it has left the list."""


class ResidentElsewhere(MatchRefused):
    """The resident does not live in the commune whose file the dose came from."""


def match_unmatched_dose(row: UnmatchedDose, resident: Resident, user) -> Dose:
    """A dose no one matched, recorded by hand for the resident chosen: the dose as the
    platform says, the row marked matched (it leaves the list, and later imports of the same
    file leave it alone) and the audit event. Raises MatchRefused; the caller commits."""
    if row.resident_id is not None:
        raise AlreadyMatched(row.id)
    if resident.hamlet.parent_id != row.commune_id:
        raise ResidentElsewhere(resident.id)
    dose = record_platform_dose(resident, DoseKind(row.kind), row.vaccine, row.given_on,
                                row.place)
    row.resident_id, row.matched_by_id, row.matched_at = resident.id, user.id, utcnow()
    record("dose.match", "resident", resident.id, unit_id=resident.hamlet_id, user=user,
           after={"kind": row.kind, "given_on": row.given_on.isoformat() if row.given_on else None,
                  "import": row.import_id, "line": row.line})
    return dose
