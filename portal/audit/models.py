"""Audit events are appended, never edited or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from portal.auth.models import Role
from portal.extensions import db
from portal.scope import ScopedBy
from portal.timeutil import utcnow


def unit_less_for_top_admins(user):
    """Events tied to no unit (logins of unknown names...) are for admins of the whole tree."""
    if user.role is Role.ADMIN and user.unit.parent_id is None:
        return AuditEvent.unit_id.is_(None)
    return None


class AuditEvent(db.Model):
    """One write, or one read of a resident's health details."""

    __tablename__ = "audit_events"
    __scope__ = ScopedBy("unit_id", widened=unit_less_for_top_admins)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text too, so the trail still reads right if the account is renamed.
    username: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))  # "visit.create", "resident.view"...
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    # The unit the object belongs to, so the trail can be scoped like everything else.
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="SET NULL")
    )
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)


class AuditIsAppendOnly(RuntimeError):
    """Something tried to change or remove an audit event."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise AuditIsAppendOnly(f"audit event {target.id} cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditIsAppendOnly(f"audit event {target.id} cannot be deleted")
