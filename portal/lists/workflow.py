"""A compliance list's life: submitted (frozen, versioned), then approved or returned.

Each transition is one function that checks who may make it and from which state, writes the
change and its audit event, and raises TransitionRefused with a message for the user
otherwise. The caller commits.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.access import Action, can
from portal.audit.log import record
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.lists.compliance import Entry, compile_list
from portal.lists.models import ComplianceList, ComplianceListRow, ListState
from portal.residents.guardians import guardian_of_minor
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit
from portal.units.tree import reviewed_by_province


class TransitionRefused(ValueError):
    """The list cannot make this move; str() is the message for the user."""


def _refuse(message) -> None:
    raise TransitionRefused(str(message))


def versions(campaign: Campaign, commune: AdministrativeUnit) -> list[ComplianceList]:
    """Every version of a commune's list for a campaign, newest first."""
    return db.session.scalars(
        select(ComplianceList)
        .where(ComplianceList.campaign_id == campaign.id, ComplianceList.commune_id == commune.id)
        .order_by(ComplianceList.version.desc())
    ).all()


def submit(user, campaign: Campaign, commune: AdministrativeUnit, today: date, *,
           signer_title: str | None = None, signer_name: str | None = None) -> ComplianceList:
    """Freeze today's list of the commune as its next version, sent to the district (or, under
    the 2025 list, to the province)."""
    if not can(user, Action.PREPARE_LIST):
        _refuse(_l("Only the commune's lead can submit its list."))
    if user.unit_id != commune.id:
        _refuse(_l("You can only submit the list of your own commune."))
    latest = next(iter(versions(campaign, commune)), None)
    if latest is not None and latest.state is ListState.SUBMITTED:
        if reviewed_by_province(commune):
            _refuse(_l("Version %(v)s is already waiting for the province's review.",
                       v=latest.version))
        _refuse(_l("Version %(v)s is already waiting for the district's review.", v=latest.version))
    if latest is not None and latest.state is ListState.APPROVED:
        _refuse(_l("This list has been approved; it cannot be submitted again."))
    entries = compile_list(campaign, commune, today)
    number = (db.session.scalar(select(func.max(ComplianceList.version)).where(
        ComplianceList.campaign_id == campaign.id, ComplianceList.commune_id == commune.id)) or 0) + 1
    now = utcnow()
    submitted = ComplianceList(
        campaign_id=campaign.id, commune_id=commune.id, version=number,
        state=ListState.SUBMITTED, created_by_id=user.id, created_at=now,
        submitted_by_id=user.id, submitted_at=now,
        signer_title=signer_title, signer_name=signer_name,
    )
    submitted.rows = [_frozen(position, entry, today) for position, entry in enumerate(entries, 1)]
    db.session.add(submitted)
    db.session.flush()
    record("list.submit", "list", submitted.id, unit_id=commune.id, user=user,
           before={"state": latest.state.value if latest else None},
           after={"state": ListState.SUBMITTED.value, "version": number, "rows": len(entries)})
    return submitted


def approve(user, compliance_list: ComplianceList, comment: str | None = None) -> None:
    """The district (the province, for its communes under the 2025 list) approves a submitted
    list; it never changes again."""
    _check_review(user, compliance_list)
    _review(user, compliance_list, ListState.APPROVED, comment, "list.approve")


def send_back(user, compliance_list: ComplianceList, comment: str) -> None:
    """The district returns a submitted list with a comment; the commune fixes and resubmits."""
    _check_review(user, compliance_list)
    if not (comment or "").strip():
        _refuse(_l("Say what must be fixed: a returned list needs a comment."))
    _review(user, compliance_list, ListState.RETURNED, comment.strip(), "list.return")


def _check_review(user, compliance_list: ComplianceList) -> None:
    if not can(user, Action.REVIEW_LIST):
        _refuse(_l("Only a district officer can approve or return a list."))
    if compliance_list.submitted_by_id == user.id:
        _refuse(_l("You cannot review a list you submitted."))
    if compliance_list.state is not ListState.SUBMITTED:
        _refuse(_l("Only a submitted list can be approved or returned; this one is %(state)s.",
                   state=STATE_LABEL[compliance_list.state]))


def _review(user, compliance_list: ComplianceList, state: ListState, comment, action: str) -> None:
    before = compliance_list.state
    compliance_list.state = state
    compliance_list.reviewed_by_id = user.id
    compliance_list.reviewed_at = utcnow()
    compliance_list.review_comment = comment or None
    record(action, "list", compliance_list.id, unit_id=compliance_list.commune_id, user=user,
           before={"state": before.value},
           after={"state": state.value, "comment": comment or None})


def _frozen(position: int, entry: Entry, today: date) -> ComplianceListRow:
    """A list row as the resident stands today, with a minor's guardian; later changes to the
    resident do not touch it.

    The row says what the official list must say and no more: the reason (its category) and a
    deferral's end date. What the visit said in words (a medical reason, a note) stays in the
    portal, on the card, for those who may see health details; reason_detail, which held it
    for lists submitted before, is no longer written (docs/privacy.md).
    """
    resident = entry.resident
    guardian = guardian_of_minor(resident, today)
    return ComplianceListRow(
        position=position, resident_id=resident.id, hamlet_name=entry.hamlet.name,
        household_address=resident.household.address if resident.household else None,
        full_name=resident.full_name, birth_date=resident.birth_date,
        birth_year=resident.birth_year, sex=resident.sex.value, id_number=resident.id_number,
        phone=resident.phone, guardian_name=guardian.name if guardian else None,
        guardian_phone=guardian.phone if guardian else None,
        doses_received=entry.doses_received, reason=entry.reason,
        deferred_until=entry.deferred_until,
    )


STATE_LABEL = {
    ListState.DRAFT: _l("a draft"),
    ListState.SUBMITTED: _l("submitted"),
    ListState.APPROVED: _l("approved"),
    ListState.RETURNED: _l("returned"),
}
