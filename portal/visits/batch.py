"""Visits a phone kept while it had no signal, sent together: each one saved in its own
transaction with the card's form and rules, or refused with the reason in the screener's words,
so that one bad visit never holds back the others and none is saved twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.datastructures import MultiDict

from portal.auth.models import User
from portal.campaigns.active import open_campaigns
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.ids import id_from
from portal.residents.models import Resident, ResidentStatus
from portal.scope import in_scope
from portal.timeutil import local_time
from portal.visits.forms import VisitForm
from portal.visits.models import Visit
from portal.visits.recording import VisitConflict, knock_of, save_knock, saved_meanwhile

# The most visits one request may carry: a phone sends more in several.
MAX_VISITS = 50
# A phone's clock is believed for a visit recorded up to this long ago, and this far ahead
# (clocks drift): outside, the visit is dated when it arrived.
BELIEVED_BEFORE = timedelta(days=14)
BELIEVED_AHEAD = timedelta(minutes=5)
# What a visit's form may hold: the card's fields, an outcome per campaign.
MAX_FIELDS = 60
MAX_VALUE = 1000


class Status:
    SAVED = "saved"
    SAVED_BEFORE = "saved_before"  # the same client id arrived earlier: nothing more saved
    REFUSED = "refused"  # not saved, with the reason: the screener fixes it or discards it
    FAILED = "failed"  # not saved, by a fault of the portal's: the phone keeps it and tries again


@dataclass(frozen=True)
class Answer:
    """What the portal says of one visit of a batch."""

    client_uuid: str
    status: str
    message: str | None = None
    visit_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"client_uuid": self.client_uuid, "status": self.status,
                "message": self.message, "visit_ids": self.visit_ids}


class BadBatch(ValueError):
    """The request is not a batch of visits at all (not one visit of it)."""


def visits_of(body) -> list:
    """The visits of a request body, or BadBatch."""
    if not isinstance(body, dict) or not isinstance(body.get("visits"), list):
        raise BadBatch(_("The request could not be understood."))
    visits = body["visits"]
    if len(visits) > MAX_VISITS:
        raise BadBatch(_("At most %(n)s visits can be sent at once.", n=MAX_VISITS))
    return visits


def receive(user: User, visits: list, *, now: datetime, today: date) -> list[Answer]:
    """Save each visit of a batch in its own transaction, in the order recorded. A fault in one
    (a bug, a constraint) is logged and leaves that one waiting on the phone, not the others;
    a database out of reach stops the batch (503), and what was saved before it stays saved."""
    answers = []
    # The user, their hamlets and campaigns stay loaded from one visit's commit to the next
    # (each resident is read afresh): not read again fifty times.
    session = db.session()
    expiring, session.expire_on_commit = session.expire_on_commit, False
    try:
        for item in visits:
            try:
                answers.append(_receive(user, item, now=now, today=today))
            except OperationalError:
                raise
            except Exception:
                db.session.rollback()
                current_app.logger.exception("a visit of a batch failed")
                client_uuid = item.get("client_uuid") if isinstance(item, dict) else None
                answers.append(Answer(str(client_uuid or "")[:36], Status.FAILED, _(
                    "The portal could not save this visit now: the phone keeps it and tries "
                    "again.")))
    finally:
        session.expire_on_commit = expiring
    return answers


def visit_moment(recorded_at, now: datetime) -> datetime:
    """When a visit took place, as stored (naive UTC): when the phone recorded it, if its clock
    is believable, else when it arrived."""
    if not isinstance(recorded_at, str):
        return now
    try:
        moment = datetime.fromisoformat(recorded_at)
    except ValueError:
        return now
    if moment.tzinfo is None:  # a phone says UTC; a time without a zone is not believed
        return now
    moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment if now - BELIEVED_BEFORE <= moment <= now + BELIEVED_AHEAD else now


def _form_data(raw) -> MultiDict | None:
    if not isinstance(raw, dict) or len(raw) > MAX_FIELDS:
        return None
    if not all(isinstance(k, str) and isinstance(v, str | int) and len(str(v)) <= MAX_VALUE
               for k, v in raw.items()):
        return None
    return MultiDict({k: str(v) for k, v in raw.items() if k != "csrf_token"})


def _receive(user: User, item, *, now: datetime, today: date) -> Answer:
    client_uuid = item.get("client_uuid") if isinstance(item, dict) else None
    client_uuid = client_uuid if isinstance(client_uuid, str) and len(client_uuid) <= 36 else ""
    damaged = Answer(client_uuid, Status.REFUSED,
                     _("This visit was damaged on the phone and cannot be saved: record it again."))
    formdata = _form_data(item.get("form")) if client_uuid else None
    resident_id = id_from(str(item.get("resident_id"))) if client_uuid else None
    if formdata is None or resident_id is None or formdata.get("client_uuid") != client_uuid:
        return damaged
    resident = db.session.scalar(in_scope(user, Resident).where(Resident.id == resident_id)
                                 .execution_options(populate_existing=True))
    if resident is None:
        return Answer(client_uuid, Status.REFUSED,
                      _("This person is not in your area (or no longer in the register)."))
    form = VisitForm(formdata=formdata, today=today, meta={"csrf": False})
    at = visit_moment(item.get("recorded_at"), now)
    try:
        before = knock_of(client_uuid)
        if before:
            if before[0].resident_id != resident.id:
                raise VisitConflict(client_uuid)
            return Answer(client_uuid, Status.SAVED_BEFORE, visit_ids=[v.id for v in before])
        refusal = _refusal(user, resident, form, at)
        if refusal:
            return Answer(client_uuid, Status.REFUSED, refusal)
        visits, created = save_knock(form, user=user, resident=resident,
                                     campaigns=open_campaigns(user), today=today, at=at,
                                     looked_up=True)
        if not created:
            meanwhile = visits or saved_meanwhile(client_uuid, resident)
            if meanwhile:
                return Answer(client_uuid, Status.SAVED_BEFORE, visit_ids=[v.id for v in meanwhile])
            return Answer(client_uuid, Status.REFUSED, _(
                "Nothing is left to record for this person: the card shows where they stand now."))
        ids = [v.id for v in visits]
        db.session.commit()
        return Answer(client_uuid, Status.SAVED, visit_ids=ids)
    except VisitConflict:
        db.session.rollback()
        return damaged
    except IntegrityError:  # the same visit arrived twice at once: the other request saved it
        meanwhile = saved_meanwhile(client_uuid, resident)
        if not meanwhile:
            raise
        return Answer(client_uuid, Status.SAVED_BEFORE, visit_ids=[v.id for v in meanwhile])
    finally:
        db.session.rollback()  # nothing of a refused visit stays in the next one's transaction


def _refusal(user: User, resident: Resident, form: VisitForm, at: datetime) -> str | None:
    """Why a visit recorded on the phone cannot be saved now, in the screener's words; None
    when it can."""
    if resident.status is ResidentStatus.MOVED_AWAY:
        return _("%(name)s has been recorded as moved away since this visit was recorded: "
                 "it was not saved.",
                 name=resident.full_name)
    if resident.status is ResidentStatus.DECEASED:
        return _("%(name)s has been recorded as deceased since this visit was recorded: "
                 "it was not saved.",
                 name=resident.full_name)
    listed = form.campaigns if form.campaign_ids.data else []
    closed = db.session.scalar(select(Campaign).where(
        Campaign.id.in_(listed), Campaign.closed_at.is_not(None)).limit(1)) if listed else None
    if closed is not None:
        return _("The campaign “%(campaign)s” has closed since: the visit was not saved.",
                 campaign=closed.name)
    later = db.session.scalar(
        select(Visit).where(Visit.resident_id == resident.id, Visit.undone_at.is_(None),
                            Visit.visited_at > at)
        .order_by(Visit.visited_at.desc()).limit(1))
    if later is not None:
        who = later.user.full_name if later.user else _("another user")
        return _("%(who)s visited this person later (%(when)s): the card shows what they found. "
                 "Record again if needed.", who=who,
                 when=local_time(later.visited_at).strftime("%d/%m/%Y %H:%M"))
    if not form.validate():
        return " ".join(str(message) for message in _messages(form))
    return None


def _messages(form: VisitForm) -> list[str]:
    """What the form's checks said, each once, in the order of the fields."""
    said = [message for field in form for message in field.errors]
    said += [message for errors in form.campaign_errors.values() for message in errors]
    return list(dict.fromkeys(str(m) for m in said))
