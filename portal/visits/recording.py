"""Recording a visit and undoing it: once per client id, with its effects and an audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select

from portal.audit.log import record
from portal.campaigns.models import Campaign
from portal.campaigns.rules import has_required_dose
from portal.extensions import db
from portal.residents.models import Dose, RecordSource, Resident, ResidentStatus
from portal.timeutil import utcnow
from portal.visits.models import Outcome, RefusalReason, ScreeningCategory, Visit
from portal.visits.outcomes import DETAIL_FIELDS, OUTCOME_DETAILS, effect_of
from portal.visits.standings import standing_of

UNDO_WINDOW = timedelta(minutes=5)
# The details a visit row holds itself (the others, from a card seen, make a dose).
VISIT_DETAILS = frozenset(name for name in DETAIL_FIELDS if name in Visit.__table__.columns)


class VisitConflict(ValueError):
    """A client id already names a visit of another resident."""


@dataclass(frozen=True)
class VisitInput:
    """What the screener entered."""

    client_uuid: str
    outcome: Outcome
    refusal_reason: RefusalReason | None = None
    screening_category: ScreeningCategory | None = None
    deferred_until: date | None = None
    reason: str | None = None
    note: str | None = None
    dose_given_on: date | None = None
    vaccine: str | None = None


def find_by_client_uuid(client_uuid: str) -> Visit | None:
    """The visit a form already saved, if any."""
    return db.session.scalar(select(Visit).where(Visit.client_uuid == client_uuid))


def _visit_facts(visit: Visit) -> dict:
    return {
        "resident_id": visit.resident_id,
        "campaign_id": visit.campaign_id,
        "outcome": visit.outcome.value,
        "refusal_reason": visit.refusal_reason.value if visit.refusal_reason else None,
        "screening_category": (
            visit.screening_category.value if visit.screening_category else None
        ),
        "deferred_until": visit.deferred_until.isoformat() if visit.deferred_until else None,
        "reason": visit.reason,
        "note": visit.note,
    }


def kept_details(entry: VisitInput) -> dict:
    """Every detail of the entry, None where its outcome does not keep it (OUTCOME_DETAILS)."""
    kept = OUTCOME_DETAILS[entry.outcome].kept(entry)
    return {name: (getattr(entry, name) or None) if name in kept else None
            for name in DETAIL_FIELDS}


def record_visit(
    *, user, resident: Resident, campaign: Campaign, entry: VisitInput, today: date,
    at: datetime | None = None,
) -> tuple[Visit, bool]:
    """Save a visit and apply its effect; (visit, False) when this client id was saved before.

    `at` is when the visit happened, now unless said (the demo's visits took place earlier).
    The caller commits. A concurrent duplicate shows up as an IntegrityError on commit:
    the caller then rolls back and calls find_by_client_uuid.
    """
    existing = find_by_client_uuid(entry.client_uuid)
    if existing is not None:
        if existing.resident_id != resident.id:
            raise VisitConflict(entry.client_uuid)
        return existing, False
    before = standing_of(resident, campaign, today)
    details = kept_details(entry)
    visit = Visit(
        client_uuid=entry.client_uuid,
        campaign_id=campaign.id,
        resident_id=resident.id,
        user_id=user.id,
        visited_at=at or utcnow(),
        outcome=entry.outcome,
        **{name: value for name, value in details.items() if name in VISIT_DETAILS},
    )
    db.session.add(visit)
    db.session.flush()
    effect = effect_of(entry.outcome)
    if effect.resident_status is not None and resident.status is not effect.resident_status:
        visit.resident_status_before = resident.status.value
        resident.status = effect.resident_status
    if effect.proves_required_dose and not has_required_dose(
        (d.kind for d in resident.doses), campaign
    ):
        db.session.add(Dose(
            resident_id=resident.id, kind=campaign.required_dose, vaccine=details["vaccine"] or "",
            given_on=details["dose_given_on"], source=RecordSource.CARD, visit_id=visit.id,
        ))
        db.session.flush()
        db.session.refresh(resident, ["doses"])
    after = standing_of(resident, campaign, today, latest_visit=visit)
    record(
        "visit.create", "visit", visit.id, unit_id=resident.hamlet_id, user=user,
        before={"standing": before.value, "resident_status": visit.resident_status_before
                or resident.status.value},
        after={**_visit_facts(visit), "standing": after.value,
               "resident_status": resident.status.value},
    )
    return visit, True


class UndoRefused(ValueError):
    """The visit can no longer be undone by this user."""


def can_undo(visit: Visit, user, now: datetime) -> bool:
    """Only its author, only for a few minutes, only once."""
    return (
        visit.undone_at is None
        and visit.user_id == user.id
        and now - visit.created_at <= UNDO_WINDOW
    )


def undo_visit(visit: Visit, *, user, now: datetime, today: date) -> None:
    """Take back a visit just recorded: it stays in the history, marked undone, its effects reversed."""
    if not can_undo(visit, user, now):
        raise UndoRefused(visit.id)
    resident = visit.resident
    campaign = visit.campaign
    before = standing_of(resident, campaign, today)
    visit.undone_at = now
    if visit.resident_status_before:
        resident.status = ResidentStatus(visit.resident_status_before)
    db.session.execute(delete(Dose).where(Dose.visit_id == visit.id))
    db.session.flush()
    db.session.refresh(resident, ["doses"])
    after = standing_of(resident, campaign, today)
    record(
        "visit.undo", "visit", visit.id, unit_id=resident.hamlet_id, user=user,
        before={"standing": before.value}, after={"standing": after.value, "undone": True},
    )
