"""record(): the one way to append to the audit trail, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from portal.audit.models import AuditEvent
from portal.extensions import db


def record(
    action: str,
    object_type: str,
    object_id: Any = None,
    *,
    unit_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    user=None,
) -> AuditEvent:
    """Add an audit event to the session; it commits or rolls back with the change it records."""
    actor = user
    address = None
    if has_request_context():
        address = request.remote_addr
        if actor is None and current_user.is_authenticated:
            actor = current_user
    event = AuditEvent(
        user_id=getattr(actor, "id", None),
        username=getattr(actor, "username", None),
        address=address,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        unit_id=unit_id,
        before=before,
        after=after,
    )
    db.session.add(event)
    return event


def record_bulk_read(action: str, object_type: str, object_id: Any = None, *, unit_id: int | None,
                     people: int, **details: Any) -> AuditEvent:
    """One event for a page that shows many people's health details at once (a follow-up list,
    a list's rows): which page, for which unit, how many people; not one event per person.

    The details say what was asked (the list, the hamlet filter); None values are left out.
    """
    after = {key: value for key, value in details.items() if value is not None}
    return record(action, object_type, object_id, unit_id=unit_id,
                  after={**after, "people": people})
