"""Lists in the user's scope as the screens find them: waiting for review, approved."""

from __future__ import annotations

from portal.extensions import db
from portal.lists.models import ComplianceList, ListState
from portal.scope import in_scope


def lists_waiting(user) -> list[ComplianceList]:
    """Submitted lists in scope waiting for review, oldest first."""
    return db.session.scalars(
        in_scope(user, ComplianceList)
        .where(ComplianceList.state == ListState.SUBMITTED)
        .order_by(ComplianceList.submitted_at)
    ).all()


def approved_lists(user) -> list[ComplianceList]:
    """Approved lists in scope, newest first."""
    return db.session.scalars(
        in_scope(user, ComplianceList)
        .where(ComplianceList.state == ListState.APPROVED)
        .order_by(ComplianceList.reviewed_at.desc())
    ).all()
