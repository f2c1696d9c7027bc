"""The one place that decides what a user may see: the units of their scope, and the rows of
every model that declares which unit it belongs to.

A scoped model says where its unit is with `__scope__ = ScopedBy(...)`: a column holding a unit
id, or a path through relationships to one, and which of the user's units it must be among.
`in_scope(user, Model)` and `get_in_scope_or_404(Model, id, user)` then work for any of them;
this module knows no model but the unit tree.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort
from sqlalchemy import ColumnElement, Select, and_, inspect, or_, select

from portal.extensions import db
from portal.ids import is_id
from portal.units.tree import (
    communes_within, hamlets_within, parents_among, unit_among, units_among, units_of,
    units_within,
)


def units_in_scope(user) -> Select:
    """Ids of the user's unit and every unit below it, as a subquery to filter on."""
    return units_within(user.unit)


def hamlets_in_scope(user) -> Select:
    """Ids of the hamlets the user works in: their own hamlets if bound to some, else all below."""
    if user.hamlets:
        return units_among(h.id for h in user.hamlets)
    return hamlets_within(user.unit)


def communes_in_scope(user) -> Select:
    """Ids of the communes the user works in (the parent commune for a hamlet-bound screener)."""
    if user.hamlets:
        return parents_among(h.id for h in user.hamlets)
    return communes_within(user.unit)


def communes_of(user) -> list:
    """The communes the user works in, by name: what a screen offers to choose from."""
    return units_of(communes_in_scope(user))


class Within(enum.Enum):
    """Which of the user's units a row's unit must be among."""

    UNITS = "units"  # the user's unit or any below it
    HAMLETS = "hamlets"  # a hamlet the user works in
    COMMUNES = "communes"  # a commune the user works in


_UNITS_OF = {Within.UNITS: units_in_scope, Within.HAMLETS: hamlets_in_scope,
             Within.COMMUNES: communes_in_scope}


# A condition on a model's rows for this user, or None for none.
Condition = Callable[[Any], ColumnElement[bool] | None]


@dataclass(frozen=True)
class ScopedBy:
    """What a model declares for scope.

    path: the column holding the unit's id ("hamlet_id"), or a path through relationships to
    one ("resident.hamlet_id"). narrowed: a further condition rows must meet, by the user's
    role (a clerk files approved lists only). widened: rows in scope besides those of the units
    (events tied to no unit, for an admin of the whole tree).
    """

    path: str
    within: Within = Within.UNITS
    narrowed: Condition | None = None
    widened: Condition | None = None


def scope_condition(user, model) -> ColumnElement[bool]:
    """The condition a row of `model` meets when it lies within the user's scope."""
    declared: ScopedBy | None = getattr(model, "__scope__", None)
    if declared is None:
        raise TypeError(f"{model.__name__} declares no scope (__scope__ = ScopedBy(...))")
    condition = _unit_among(model, declared.path.split("."), _UNITS_OF[declared.within](user))
    if declared.narrowed is not None and (narrower := declared.narrowed(user)) is not None:
        condition = and_(condition, narrower)
    if declared.widened is not None and (wider := declared.widened(user)) is not None:
        condition = or_(condition, wider)
    return condition


def _unit_among(model, path: list[str], units: Select) -> ColumnElement[bool]:
    attribute = getattr(model, path[0])
    if len(path) == 1:
        return attribute.in_(units)
    # A relationship: its row must meet the rest of the path (EXISTS, or a join for many).
    return attribute.has(_unit_among(attribute.property.mapper.class_, path[1:], units))


def in_scope(user, model) -> Select:
    """The rows of `model` within the user's scope, as a statement to filter and order further."""
    return select(model).where(scope_condition(user, model))


def get_in_scope_or_404(model, object_id: int, user):
    """The row if it lies within the user's scope; 404 otherwise, giving no hint it exists."""
    if not is_id(object_id):  # from a query string: beyond any id the database holds
        abort(404)
    key = inspect(model).primary_key[0]
    found = db.session.scalar(in_scope(user, model).where(key == object_id))
    if found is None:
        abort(404)
    return found


def hamlet_in_scope_or_404(hamlet_id: int, user):
    """A hamlet the user works in (the walk, a follow-up filter, a new resident); 404 otherwise."""
    if not is_id(hamlet_id):
        abort(404)
    hamlet = unit_among(hamlet_id, hamlets_in_scope(user))
    if hamlet is None:
        abort(404)
    return hamlet
