"""The one place that decides which administrative units a user may see."""

from __future__ import annotations

from sqlalchemy import Select, select

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

    from portal.extensions import db
    from portal.residents.models import Household, Resident
    from portal.visits.models import Visit

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
    else:
        raise TypeError(f"no scope rule for {model.__name__}")
    if not allowed:
        abort(404)
    return obj
