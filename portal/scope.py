"""The one place that decides which administrative units a user may see."""

from __future__ import annotations

from sqlalchemy import Select, select

from portal.ids import is_id
from portal.units.models import AdministrativeUnit, UnitLevel


def units_in_scope(user) -> Select:
    """Ids of the user's unit and every unit below it, as a subquery to filter on."""
    return select(AdministrativeUnit.id).where(AdministrativeUnit.path.startswith(user.unit.path))


def hamlets_in_scope(user) -> Select:
    """Ids of the hamlets the user works in: their own hamlets if bound to some, else all below."""
    if user.hamlets:
        return select(AdministrativeUnit.id).where(
            AdministrativeUnit.id.in_([h.id for h in user.hamlets])
        )
    return units_in_scope(user).where(AdministrativeUnit.level == UnitLevel.HAMLET)


def communes_in_scope(user) -> Select:
    """Ids of the communes the user works in (the parent commune for a hamlet-bound screener)."""
    if user.hamlets:
        return select(AdministrativeUnit.parent_id).where(
            AdministrativeUnit.id.in_([h.id for h in user.hamlets])
        )
    return units_in_scope(user).where(AdministrativeUnit.level == UnitLevel.COMMUNE)


def get_in_scope_or_404(model, object_id: int, user):
    """The object if it lies within the user's scope; 404 otherwise, giving no hint it exists."""
    from flask import abort

    from portal.auth.models import User
    from portal.extensions import db
    from portal.imports.models import Import
    from portal.lists.models import ComplianceList
    from portal.residents.models import Household, Resident
    from portal.visits.models import Visit

    if not is_id(object_id):  # from a query string: beyond any id the database holds
        abort(404)
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    if model is AdministrativeUnit:
        allowed = obj.level is UnitLevel.HAMLET and db.session.scalar(
            hamlets_in_scope(user).where(AdministrativeUnit.id == obj.id)
        )
    elif model in (Resident, Household):
        allowed = db.session.scalar(hamlets_in_scope(user).where(AdministrativeUnit.id == obj.hamlet_id))
    elif model is Visit:
        allowed = db.session.scalar(
            hamlets_in_scope(user).where(AdministrativeUnit.id == obj.resident.hamlet_id)
        )
    elif model is ComplianceList:
        allowed = db.session.scalar(
            lists_in_scope(user).where(ComplianceList.id == obj.id).with_only_columns(ComplianceList.id)
        )
    elif model is User:
        allowed = db.session.scalar(users_in_scope(user).where(User.id == obj.id))
    elif model is Import:
        allowed = db.session.scalar(communes_in_scope(user).where(AdministrativeUnit.id == obj.commune_id))
    else:
        raise TypeError(f"no scope rule for {model.__name__}")
    if not allowed:
        abort(404)
    return obj


def audit_events_in_scope(user) -> Select:
    """Audit events about objects within the user's unit; those tied to no unit, to admins only."""
    from sqlalchemy import or_

    from portal.audit.models import AuditEvent
    from portal.auth.models import Role

    within = AuditEvent.unit_id.in_(units_in_scope(user))
    if user.role is Role.ADMIN and user.unit.parent_id is None:
        within = or_(within, AuditEvent.unit_id.is_(None))
    return select(AuditEvent).where(within)


def users_in_scope(user) -> Select:
    """Ids of the accounts the user may see and manage, as a subquery to filter on.

    An admin manages every account whose unit lies within their own unit; a commune lead
    the screeners of their commune only; other roles manage no one.
    """
    from sqlalchemy import false

    from portal.auth.models import Role, User

    if user.role is Role.ADMIN:
        return select(User.id).where(User.unit_id.in_(units_in_scope(user)))
    if user.role is Role.COMMUNE_LEAD:
        return select(User.id).where(
            User.role == Role.SCREENER, User.unit_id.in_(units_in_scope(user))
        )
    return select(User.id).where(false())


def lists_in_scope(user) -> Select:
    """Compliance lists of the communes within the user's unit; a clerk files approved ones only."""
    from portal.auth.models import Role
    from portal.lists.models import ComplianceList, ListState

    statement = select(ComplianceList).where(ComplianceList.commune_id.in_(units_in_scope(user)))
    if user.role is Role.CLERK:
        statement = statement.where(ComplianceList.state == ListState.APPROVED)
    return statement


def imports_in_scope(user) -> Select:
    """Imports into the communes within the user's unit."""
    from portal.imports.models import Import

    return select(Import).where(Import.commune_id.in_(communes_in_scope(user)))


def get_job_in_scope_or_404(job_id: str, user):
    """A job if what it works on lies within the user's scope (a list: as the list); else 404."""
    from flask import abort

    from portal.extensions import db
    from portal.jobs.models import Job
    from portal.lists.models import ComplianceList

    job = db.session.get(Job, job_id) if len(job_id) == 36 else None
    if job is None:
        abort(404)
    if job.subject_type == "list":
        get_in_scope_or_404(ComplianceList, job.subject_id, user)
    elif job.subject_type == "import":
        from portal.imports.models import Import

        get_in_scope_or_404(Import, job.subject_id, user)
    elif not (job.created_by_id == user.id or (job.unit_id is not None and db.session.scalar(
            units_in_scope(user).where(AdministrativeUnit.id == job.unit_id)))):
        abort(404)
    return job
