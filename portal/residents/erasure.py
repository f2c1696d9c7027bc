"""Erasing a person on request (their right to deletion, Decree 13/2023): their data removed
from the portal, what the audit trail and the approved lists must keep kept, it audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from portal.access import Action, can
from portal.audit.log import record
from portal.extensions import db
from portal.imports.models import UnmatchedDose
from portal.lists.files import discard_drafts
from portal.lists.models import ComplianceList, ComplianceListRow, ListState
from portal.residents.models import Dose, Resident
from portal.scope import in_scope
from portal.visits.models import Visit

# What a list not approved says in place of an erased person's name.
ERASED_NAME = "(đã xóa)"


class ErasureRefused(ValueError):
    """The erasure cannot be made; str() says why, in Vietnamese then English."""


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed, and what it kept (the approved lists' rows)."""

    resident_id: int
    visits: int
    doses: int
    list_rows_kept: int  # rows of approved lists: official documents already submitted
    list_rows_cleared: int  # rows of lists not approved: the person's details removed
    draft_files: int

    def facts(self) -> dict:
        return {"visits": self.visits, "doses": self.doses, "list_rows_kept": self.list_rows_kept,
                "list_rows_cleared": self.list_rows_cleared, "draft_files": self.draft_files}


def erase_resident(resident_id: int, *, user, grounds: str) -> Erasure:
    """Remove a person from the portal: the resident, their visits and doses, their words in
    the search index, their details in lists not approved, the draft files that printed them,
    the platform rows matched to them, their name as their household's head or guardian.

    Kept: the audit trail, append-only (its events name the resident by id; those written
    before hold what they recorded, such as a visit's note); the rows of approved lists and
    those lists' files, official documents the commune submitted and the district approved.
    The user must be allowed to erase (an admin) and the person within their scope; grounds
    says why (the request, its date), for the trail. Raises ErasureRefused; the caller commits.
    """
    if not can(user, Action.ERASE_PERSONAL_DATA):
        raise ErasureRefused("Chỉ quản trị viên được xóa dữ liệu của một người. "
                             "(Only an admin can erase a person's data.)")
    if not (grounds or "").strip():
        raise ErasureRefused("Hãy ghi lý do xóa (yêu cầu nào, ngày nào). "
                             "(Say why: which request, of which day.)")
    resident = db.session.scalar(in_scope(user, Resident).where(Resident.id == resident_id))
    if resident is None:
        raise ErasureRefused(f"Không có người dân số {resident_id} trong phạm vi của "
                             f"{user.username}. (No resident {resident_id} within "
                             f"{user.username}'s scope.)")
    rows = db.session.execute(
        select(ComplianceListRow.id, ComplianceList.id, ComplianceList.state)
        .join(ComplianceList, ComplianceListRow.list_id == ComplianceList.id)
        .where(ComplianceListRow.resident_id == resident.id)).all()
    kept = [row_id for row_id, _list, state in rows if state is ListState.APPROVED]
    cleared = [row_id for row_id, _list, state in rows if state is not ListState.APPROVED]
    erasure = Erasure(
        resident_id=resident.id,
        visits=_count(Visit, Visit.resident_id == resident.id),
        doses=_count(Dose, Dose.resident_id == resident.id),
        list_rows_kept=len(kept), list_rows_cleared=len(cleared),
        draft_files=discard_drafts(sorted({list_id for _row, list_id, _state in rows})),
    )
    _clear_list_rows(cleared)
    _forget_in_household(resident)
    db.session.execute(delete(UnmatchedDose).where(UnmatchedDose.resident_id == resident.id))
    hamlet_id = resident.hamlet_id
    # Visits, doses and the search index go with the resident (their foreign keys cascade);
    # the kept rows of approved lists lose their link to them.
    db.session.delete(resident)
    db.session.flush()
    record("resident.erase", "resident", erasure.resident_id, unit_id=hamlet_id, user=user,
           after={"grounds": grounds.strip(), **erasure.facts()})
    return erasure


def _count(model, condition) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(condition))


def _clear_list_rows(row_ids: list[int]) -> None:
    """An erased person's rows in lists not approved: the reason stays (the counts), the
    person goes."""
    if row_ids:
        db.session.execute(update(ComplianceListRow).where(ComplianceListRow.id.in_(row_ids))
                           .values(resident_id=None, full_name=ERASED_NAME, birth_date=None,
                                   id_number=None, phone=None, guardian_name=None,
                                   guardian_phone=None, household_address=None,
                                   reason_detail=None))


def _forget_in_household(resident: Resident) -> None:
    """The household no longer names the person as its head, or as its children's guardian."""
    household = resident.household
    if household is None:
        return
    if household.head_name == resident.full_name:
        household.head_name = None
    if household.guardian_name == resident.full_name:
        household.guardian_name = household.guardian_phone = None
