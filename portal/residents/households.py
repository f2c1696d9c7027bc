"""Households as the commune keeps them: a new one, its address and head corrected, two made one,
each change in its history; and a person handed over to another commune of the portal, who
arrives there to be placed in a hamlet, not deleted where they left.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from portal.audit.log import record
from portal.extensions import db
from portal.residents.corrections import correct_resident
from portal.residents.models import (
    Household, RegisterChange, Resident, ResidentHandover, ResidentStatus,
)
from portal.residents.registry import next_household_code
from portal.text import normalise_name
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit


def new_household(hamlet: AdministrativeUnit, address: str, *, user,
                  head_name: str | None = None) -> Household:
    """A household the register does not have yet, with the hamlet's next code; the caller
    commits."""
    household = Household(hamlet_id=hamlet.id, code=next_household_code(hamlet),
                          address=address.strip(),
                          head_name=normalise_name(head_name or "") or None)
    db.session.add(household)
    db.session.flush()
    record("household.create", "household", household.id, unit_id=hamlet.id, user=user,
           after={"code": household.code})
    return household


def members_of(household: Household) -> list[Resident]:
    return list(db.session.scalars(select(Resident).where(
        Resident.household_id == household.id).order_by(Resident.birth_year, Resident.id)))


def merge_households(survivor: Household, merged: Household, *, user) -> list[Resident]:
    """One household: the merged one's members move to the survivor (each move in their
    history), its history too, and it is removed. Both must be of one hamlet. The caller
    commits."""
    if survivor.id == merged.id or survivor.hamlet_id != merged.hamlet_id:
        raise ValueError("two households of one hamlet")
    moved = members_of(merged)
    for member in moved:
        correct_resident(member, {"household_id": survivor.id}, user=user)
    db.session.execute(update(RegisterChange).where(RegisterChange.household_id == merged.id,
                                                    RegisterChange.resident_id.is_(None))
                       .values(household_id=survivor.id))
    record("household.merge", "household", survivor.id, unit_id=survivor.hamlet_id, user=user,
           after={"merged": merged.id, "code": merged.code, "members": len(moved)})
    db.session.flush()
    db.session.delete(merged)
    return moved


def hand_over(resident: Resident, to_commune: AdministrativeUnit, *, user,
              today: date) -> ResidentHandover:
    """The person moved to another commune of the portal: moved away here from today (in
    their history), waiting there to be received. The caller commits."""
    from_commune_id = resident.hamlet.parent_id
    if to_commune.id == from_commune_id:
        raise ValueError("a handover goes to another commune")
    correct_resident(resident, {"status": ResidentStatus.MOVED_AWAY, "status_since": today},
                     user=user)
    handover = ResidentHandover(resident_id=resident.id, from_commune_id=from_commune_id,
                                to_commune_id=to_commune.id, handed_by_id=user.id)
    db.session.add(handover)
    db.session.flush()
    record("resident.hand_over", "resident", resident.id, unit_id=resident.hamlet_id, user=user,
           after={"to_commune": to_commune.id})
    return handover


def arrivals(user) -> list[ResidentHandover]:
    """The people handed over to the user's communes, not yet received, oldest first."""
    from portal.scope import in_scope

    return list(db.session.scalars(in_scope(user, ResidentHandover)
                                   .where(ResidentHandover.received_at.is_(None))
                                   .order_by(ResidentHandover.handed_at)))


def receive(handover: ResidentHandover, hamlet: AdministrativeUnit,
            household: Household | None, *, user) -> Resident:
    """The person arrives: in a hamlet (and household) of the receiving commune, present
    again, each change in their history. The caller commits."""
    if handover.received_at is not None or hamlet.parent_id != handover.to_commune_id:
        raise ValueError("not a handover to receive into this hamlet")
    resident = handover.resident
    correct_resident(resident, {"hamlet_id": hamlet.id,
                                "household_id": household.id if household else None,
                                "status": ResidentStatus.PRESENT, "status_since": None},
                     user=user)
    handover.received_at = utcnow()
    handover.received_by_id = user.id
    record("resident.receive", "resident", resident.id, unit_id=hamlet.id, user=user,
           after={"from_commune": handover.from_commune_id})
    return resident
