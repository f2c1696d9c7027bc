"""The audit trail, read-only: admins and district officers browse it within their scope.

There is no route, screen or command that edits or deletes an audit event.
"""

from __future__ import annotations

import functools
import re
from datetime import date

from flask import Blueprint, request
from flask_login import current_user
from sqlalchemy import func

from portal.access import Action, requires
from portal.audit.forms import AuditFilterForm
from portal.audit.log import record
from portal.audit.models import AuditEvent
from portal.audit.redaction import details_for
from portal.auth.models import Role
from portal.extensions import db
from portal.ids import id_from
from portal.labels import AUDIT_ACTION
from portal.rendering import render
from portal.scope import in_scope
from portal.timeutil import day_range

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50


def events_for(user, filters: dict, before_id: int | None, limit: int = PAGE_SIZE) -> list[AuditEvent]:
    """The newest events in the user's scope matching the filters, older than before_id."""
    statement = in_scope(user, AuditEvent)
    if filters["action"]:
        statement = statement.where(AuditEvent.action == filters["action"])
    if filters["username"]:
        statement = statement.where(func.lower(AuditEvent.username) == filters["username"].lower())
    if filters["object"]:
        kind, _, object_id = filters["object"].partition(":")
        statement = statement.where(AuditEvent.object_type == kind.strip())
        if object_id.strip():
            statement = statement.where(AuditEvent.object_id == object_id.strip())
    # Events are stored in UTC; the filter's days are Vietnam's.
    start, end = day_range(filters["since"], filters["until"])
    if start:
        statement = statement.where(AuditEvent.occurred_at >= start)
    if end:
        statement = statement.where(AuditEvent.occurred_at < end)
    if before_id:
        statement = statement.where(AuditEvent.id < before_id)
    return list(db.session.scalars(statement.order_by(AuditEvent.id.desc()).limit(limit)))


def _shown(key: str, value):
    """A stored value as the user reads it: a code as its label in the user's language
    (standing, outcome, reason, dose...), a day as dd/mm/yyyy, yes or no."""
    from portal import labels
    from portal.auth.throttle import Throttle
    from portal.residents.models import DoseKind, Sex
    from portal.visits.models import Outcome, RefusalReason, ScreeningCategory
    from portal.visits.outcomes import Standing

    kinds = {"standing": (Standing, labels.STANDING), "outcome": (Outcome, labels.OUTCOME),
             "refusal_reason": (RefusalReason, labels.REFUSAL_REASON),
             "screening_category": (ScreeningCategory, labels.SCREENING_CATEGORY),
             "role": (Role, labels.ROLE), "required_dose": (DoseKind, labels.DOSE),
             "prior_doses": (DoseKind, labels.DOSE), "sex": (Sex, labels.SEX),
             "throttle": (Throttle, labels.THROTTLE)}
    if isinstance(value, bool):
        return labels.YES_NO[value]
    if isinstance(value, list):
        return ", ".join(str(_shown(key, item)) for item in value) or None
    if not isinstance(value, str):
        return value
    if key in kinds:
        enum, names = kinds[key]
        try:
            return names[enum(value)]
        except (ValueError, KeyError):
            return value
    if _ISO_DAY.fullmatch(value):
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def changes(event: AuditEvent, viewer) -> tuple[list[tuple[str, object, object]], bool]:
    """The fields an event changed (or set, or read), named as their forms name them, with
    their values before and after, as the viewer may read them; and whether health details
    were held back from them."""
    from portal import labels

    names = labels.CAMPAIGN_FIELD if event.object_type == "campaign" else labels.AUDIT_FIELD
    before, after, withheld = details_for(viewer, event.before, event.after)
    keys = list(dict.fromkeys([*before, *after]))
    return [(names.get(k, k), _shown(k, before.get(k)), _shown(k, after.get(k)))
            for k in keys if before.get(k) != after.get(k)], withheld


@bp.route("/audit")
@requires(Action.VIEW_AUDIT)
def trail():
    """The trail, newest first, 50 at a time; filters by action, user, object and days. A
    filter the form refuses shows no event, and the reason."""
    form = AuditFilterForm(request.args)
    valid = form.validate()
    filters = form.filters
    before_id = id_from(request.args.get("before"))
    events = events_for(current_user, filters, before_id) if valid else []
    # Reading the trail may show health details (visit outcomes): that look is recorded too.
    # To a reader who may not see them, events come without them (portal/audit/redaction.py).
    record("audit.view", "audit", None, unit_id=current_user.unit_id,
           after={k: str(v) for k, v in filters.items() if v} or None)
    db.session.commit()
    # HTMX asks for the next page of events, or for the results of new filters.
    return render("audit/trail.html", block="events" if before_id else "results",
                  events=events, filters=filters, form=form,
                  changes=functools.partial(changes, viewer=current_user),
                  actions=AUDIT_ACTION, more=len(events) == PAGE_SIZE)
