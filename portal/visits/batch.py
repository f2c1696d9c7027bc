"""Visits a phone kept while it had no signal, sent together: each one saved in its own
transaction with the card's form and rules, or refused with the reason in the screener's words,
so that one bad visit never holds back the others and none is saved twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
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
from portal.visits.recording import VisitConflict, save_knock, saved_meanwhile
from portal.visits.standings import screening_in

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
    a database out of reach stops the batch (503), and what was saved before it stays saved.

    What every visit asks of the database first (its person, its client id, where the person
    stands, their latest visit) is read once for the batch, and kept up to date as it saves.
    """
    answers = []
    # The user, their hamlets and campaigns, and the people read once, stay loaded from one
    # visit's commit to the next: not read again fifty times.
    session = db.session()
    expiring, session.expire_on_commit = session.expire_on_commit, False
    try:
        items = [_parsed(item, now=now, today=today) for item in visits]
        known = _Known.read(user, [i for i in items if isinstance(i, _Item)], today)
        for item in items:
            if isinstance(item, Answer):
                answers.append(item)
                continue
            try:
                answers.append(_receive(user, item, known, today=today))
            except OperationalError:
                raise
            except Exception:
                db.session.rollback()
                current_app.logger.exception("a visit of a batch failed")
                answers.append(Answer(item.client_uuid, Status.FAILED, _(
                    "The portal could not save this visit now: the phone keeps it and tries "
                    "again.")))
    finally:
        session.expire_on_commit = expiring
    return answers


@dataclass
class _Item:
    """A visit of the batch, as the phone sent it."""

    client_uuid: str
    resident_id: int
    form: VisitForm
    at: datetime


@dataclass
class _Known:
    """What the batch's visits ask of the database, read once, kept up to date as they save."""

    residents: dict[int, Resident]
    knocks: dict[str, tuple[int, list[int]]]  # client id: its resident, its visits
    latest: dict[int, datetime]  # a resident's latest visit that counts, when it took place
    closed: dict[int, str]  # campaigns the forms list that have closed, by name
    screening: dict[int, tuple]  # a resident's standings in the open campaigns, their doses
    campaigns: list[Campaign]

    @classmethod
    def read(cls, user: User, items: list[_Item], today: date) -> _Known:
        ids = {item.resident_id for item in items}
        residents = {r.id: r for r in db.session.scalars(
            in_scope(user, Resident).where(Resident.id.in_(ids))
            .execution_options(populate_existing=True))} if ids else {}
        knocks: dict[str, tuple[int, list[int]]] = {}
        uuids = [item.client_uuid for item in items]
        for client_uuid, resident_id, visit_id in db.session.execute(
                select(Visit.client_uuid, Visit.resident_id, Visit.id)
                .where(Visit.client_uuid.in_(uuids)).order_by(Visit.id)) if uuids else ():
            knocks.setdefault(client_uuid, (resident_id, []))[1].append(visit_id)
        latest = dict(db.session.execute(
            select(Visit.resident_id, func.max(Visit.visited_at))
            .where(Visit.resident_id.in_(residents), Visit.undone_at.is_(None))
            .group_by(Visit.resident_id)).all()) if residents else {}
        listed = {i for item in items if item.form.campaign_ids.data for i in item.form.campaigns}
        closed = dict(db.session.execute(select(Campaign.id, Campaign.name).where(
            Campaign.id.in_(listed), Campaign.closed_at.is_not(None))).all()) if listed else {}
        campaigns = open_campaigns(user)
        known = cls(residents, knocks, latest, closed, {}, campaigns)
        known._screen(list(residents.values()), today)
        return known

    def _screen(self, residents: list[Resident], today: date) -> None:
        standings, kinds = screening_in(self.campaigns, residents, today)
        for resident in residents:
            self.screening[resident.id] = (standings[resident.id],
                                           kinds.get(resident.id, set()))

    def screening_of(self, resident: Resident, today: date) -> tuple:
        """Where the person stands now: read again if a visit of the batch changed it."""
        if resident.id not in self.screening:
            self._screen([resident], today)
        return self.screening[resident.id]

    def saved(self, item: _Item, resident: Resident, visits: list[Visit]) -> None:
        """A visit of the batch saved: what the next ones read of its person changed."""
        self.knocks[item.client_uuid] = (resident.id, [v.id for v in visits])
        self.latest[resident.id] = max(self.latest.get(resident.id, item.at), item.at)
        self.screening.pop(resident.id, None)


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


def _parsed(item, *, now: datetime, today: date) -> _Item | Answer:
    """A visit of the batch read, or refused as damaged."""
    client_uuid = item.get("client_uuid") if isinstance(item, dict) else None
    client_uuid = client_uuid if isinstance(client_uuid, str) and len(client_uuid) <= 36 else ""
    formdata = _form_data(item.get("form")) if client_uuid else None
    resident_id = id_from(str(item.get("resident_id"))) if client_uuid else None
    if formdata is None or resident_id is None or formdata.get("client_uuid") != client_uuid:
        return _damaged(client_uuid)
    return _Item(client_uuid, resident_id,
                 VisitForm(formdata=formdata, today=today, meta={"csrf": False}),
                 visit_moment(item.get("recorded_at"), now))


def _damaged(client_uuid: str) -> Answer:
    return Answer(client_uuid, Status.REFUSED,
                  _("This visit was damaged on the phone and cannot be saved: record it again."))


def _receive(user: User, item: _Item, known: _Known, *, today: date) -> Answer:
    client_uuid = item.client_uuid
    resident = known.residents.get(item.resident_id)
    if resident is None:
        return Answer(client_uuid, Status.REFUSED,
                      _("This person is not in your area (or no longer in the register)."))
    try:
        if client_uuid in known.knocks:
            resident_id, visit_ids = known.knocks[client_uuid]
            if resident_id != resident.id:
                return _damaged(client_uuid)
            return Answer(client_uuid, Status.SAVED_BEFORE, visit_ids=visit_ids)
        refusal = _refusal(resident, item, known)
        if refusal:
            return Answer(client_uuid, Status.REFUSED, refusal)
        visits, created = save_knock(item.form, user=user, resident=resident,
                                     campaigns=known.campaigns, today=today, at=item.at,
                                     looked_up=True,
                                     screening=known.screening_of(resident, today))
        if not created:
            meanwhile = visits or saved_meanwhile(client_uuid, resident)
            if meanwhile:
                return Answer(client_uuid, Status.SAVED_BEFORE, visit_ids=[v.id for v in meanwhile])
            return Answer(client_uuid, Status.REFUSED, _(
                "Nothing is left to record for this person: the card shows where they stand now."))
        db.session.commit()
        known.saved(item, resident, visits)
        return Answer(client_uuid, Status.SAVED, visit_ids=[v.id for v in visits])
    except VisitConflict:
        db.session.rollback()
        return _damaged(client_uuid)
    except IntegrityError:  # the same visit arrived twice at once: the other request saved it
        meanwhile = saved_meanwhile(client_uuid, resident)
        if not meanwhile:
            raise
        return Answer(client_uuid, Status.SAVED_BEFORE, visit_ids=[v.id for v in meanwhile])
    finally:
        db.session.rollback()  # nothing of a refused visit stays in the next one's transaction


def _refusal(resident: Resident, item: _Item, known: _Known) -> str | None:
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
    form = item.form
    closed = [known.closed[i] for i in (form.campaigns if form.campaign_ids.data else [])
              if i in known.closed]
    if closed:
        return _("The campaign “%(campaign)s” has closed since: the visit was not saved.",
                 campaign=closed[0])
    if known.latest.get(resident.id) and known.latest[resident.id] > item.at:
        later = db.session.scalar(
            select(Visit).where(Visit.resident_id == resident.id, Visit.undone_at.is_(None),
                                Visit.visited_at > item.at)
            .order_by(Visit.visited_at.desc()).limit(1))
        if later is not None:
            who = later.user.full_name if later.user else _("another user")
            return _("%(who)s visited this person later (%(when)s): the card shows what they "
                     "found. Record again if needed.", who=who,
                     when=local_time(later.visited_at).strftime("%d/%m/%Y %H:%M"))
    if not form.validate():
        return " ".join(str(message) for message in _messages(form))
    return None


def _messages(form: VisitForm) -> list[str]:
    """What the form's checks said, each once, in the order of the fields."""
    said = [message for field in form for message in field.errors]
    said += [message for errors in form.campaign_errors.values() for message in errors]
    return list(dict.fromkeys(str(m) for m in said))
