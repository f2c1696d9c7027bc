"""Managing accounts: who may create, change, deactivate or reset whom, each change audited."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.audit.log import record
from portal.auth.accounts import is_valid_username
from portal.auth.models import Role, User, new_session_token
from portal.auth.passwords import hash_password, password_problems
from portal.extensions import db
from portal.rejections import Rejected
from portal.scope import in_scope, units_in_scope
from portal.text import fold, normalise_name
from portal.units.models import AdministrativeUnit, UnitLevel
from portal.units.tree import unit_by_code

# Roles that work inside one commune (ward), so their account sits on a commune.
COMMUNE_ROLES = (Role.SCREENER, Role.COMMUNE_LEAD)
LIST_LIMIT = 200


class UserRejected(Rejected):
    """A change to an account that breaks a rule, with its messages by field."""


@dataclass
class AccountDetails:
    """What an admin or a commune lead sets on an account, as typed."""

    full_name: str
    role: str
    unit_code: str
    hamlet_ids: list[int] = field(default_factory=list)


def roles_assignable(actor: User) -> list[Role]:
    """The roles the actor may give: any for an admin, screener only for a commune lead."""
    if actor.role is Role.ADMIN:
        return list(Role)
    if actor.role is Role.COMMUNE_LEAD:
        return [Role.SCREENER]
    return []


def role_or_none(value: str | None) -> Role | None:
    """The role with this code, or None for anything else."""
    try:
        return Role(value)
    except ValueError:
        return None


def manages(actor: User, target: User) -> bool:
    """True when the target account lies within the actor's scope."""
    return db.session.scalar(in_scope(actor, User).where(User.id == target.id)) is not None


def hamlets_of(unit: AdministrativeUnit | None) -> list[AdministrativeUnit]:
    """The hamlets of a commune, by name; none for any other unit."""
    if unit is None or unit.level is not UnitLevel.COMMUNE:
        return []
    return list(db.session.scalars(
        select(AdministrativeUnit)
        .where(AdministrativeUnit.parent_id == unit.id, AdministrativeUnit.level == UnitLevel.HAMLET)
        .order_by(AdministrativeUnit.code)
    ))


def snapshot(user: User) -> dict:
    """What the audit trail keeps of an account: never the password nor its hash."""
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role.value,
        "unit": user.unit.code,
        "hamlets": sorted(h.code for h in user.hamlets),
        "is_enabled": user.is_enabled,
    }


def _check_details(actor: User, details: AccountDetails, errors: dict[str, list[str]]):
    """Role, unit and hamlets checked against the actor's rights; problems go into errors."""
    full_name = normalise_name(details.full_name or "")
    if not full_name:
        errors.setdefault("full_name", []).append(_("Enter the person's full name."))
    elif len(full_name) > 120:
        errors.setdefault("full_name", []).append(_("The name is too long."))

    role = role_or_none(details.role)
    if role is None:
        errors.setdefault("role", []).append(_("Choose a role."))
    elif role not in roles_assignable(actor):
        errors.setdefault("role", []).append(_("You may not give this role."))

    code = (details.unit_code or "").strip()
    unit = unit_by_code(code) if code else None
    problem = _unit_problem(actor, role, code, unit)
    if problem:
        errors.setdefault("unit_code", []).append(problem)

    hamlets = []
    wanted = set(details.hamlet_ids or [])
    if wanted and role is not None and role is not Role.SCREENER:
        errors.setdefault("hamlets", []).append(_("Only a screener can be bound to hamlets."))
    elif wanted and "unit_code" not in errors:
        hamlets = [h for h in hamlets_of(unit) if h.id in wanted]
        if len(hamlets) != len(wanted):
            errors.setdefault("hamlets", []).append(
                _("These hamlets are not in the chosen commune."))
    return full_name, role, unit, hamlets


def _unit_problem(actor: User, role: Role | None, code: str, unit: AdministrativeUnit | None):
    """Why the account may not sit on this unit, or None when it may."""
    if not code:
        return _("Enter the code of the administrative unit.")
    if unit is None:
        return _("No administrative unit has this code.")
    if actor.role is Role.COMMUNE_LEAD and unit.id != actor.unit_id:
        return _("You may only manage the screeners of your own commune.")
    if not actor.unit.contains(unit):
        return _("This unit lies outside your area.")
    if unit.level is UnitLevel.HAMLET:
        return _("Give the commune's code; tick the screener's hamlets below.")
    if role in COMMUNE_ROLES and unit.level is not UnitLevel.COMMUNE:
        return _("A screener or a commune lead belongs to a commune or ward.")
    return None


def _check_username(username: str, errors: dict[str, list[str]]) -> str:
    """The same rule as the command line: letters, digits, '.' or '_', unique ignoring case."""
    username = (username or "").strip()
    if not is_valid_username(username):
        errors.setdefault("username", []).append(
            _("Use letters, digits, '.' or '_' only, at most 64 characters."))
    elif db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        errors.setdefault("username", []).append(_("This user name is already taken."))
    return username


def create_account(actor: User, *, username: str, password: str, details: AccountDetails) -> User:
    """Add an account within the actor's rights; raises UserRejected and adds nothing otherwise."""
    errors: dict[str, list[str]] = {}
    username = _check_username(username, errors)
    full_name, role, unit, hamlets = _check_details(actor, details, errors)
    problems = password_problems(password or "", username)
    if problems:
        errors["password"] = problems
    if errors:
        raise UserRejected(errors)
    user = User(username=username, full_name=full_name, password_hash=hash_password(password),
                role=role, unit=unit, hamlets=hamlets)
    db.session.add(user)
    db.session.flush()
    record("user.create", "user", user.id, unit_id=unit.id, after=snapshot(user), user=actor)
    return user


def update_account(actor: User, target: User, details: AccountDetails) -> bool:
    """Change name, role, unit and hamlets; audits what changed. False when nothing did."""
    _require_manages(actor, target)
    errors: dict[str, list[str]] = {}
    full_name, role, unit, hamlets = _check_details(actor, details, errors)
    if target.id == actor.id and not errors and (role is not target.role or unit.id != target.unit_id):
        # An admin who demoted or moved themselves could lock everyone out.
        errors["role"] = [_("You cannot change your own role or unit.")]
    if errors:
        raise UserRejected(errors)
    before = snapshot(target)
    target.full_name, target.role, target.unit, target.hamlets = full_name, role, unit, hamlets
    after = snapshot(target)
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return False
    record("user.update", "user", target.id, unit_id=unit.id, user=actor,
           before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return True


def deactivate_account(actor: User, target: User) -> bool:
    """Lock the account and end every session of it. False when it was already locked."""
    _require_manages(actor, target)
    if target.id == actor.id:
        raise UserRejected({"": [_("You cannot deactivate your own account.")]})
    if not target.is_enabled:
        return False
    target.is_enabled = False
    target.session_token = new_session_token()
    record("user.deactivate", "user", target.id, unit_id=target.unit_id, user=actor,
           before={"is_enabled": True}, after={"is_enabled": False})
    return True


def reactivate_account(actor: User, target: User) -> bool:
    """Let a locked account log in again. False when it was not locked."""
    _require_manages(actor, target)
    if target.is_enabled:
        return False
    target.is_enabled = True
    record("user.reactivate", "user", target.id, unit_id=target.unit_id, user=actor,
           before={"is_enabled": False}, after={"is_enabled": True})
    return True


def reset_password(actor: User, target: User, password: str) -> None:
    """Set a new password that meets the policy, and end every session of the account."""
    _require_manages(actor, target)
    problems = password_problems(password or "", target.username)
    if problems:
        raise UserRejected({"password": problems})
    target.password_hash = hash_password(password)
    target.session_token = new_session_token()
    # The trail says that it changed, never what to or from.
    record("user.password_reset", "user", target.id, unit_id=target.unit_id, user=actor,
           before={"password": "previous", "sessions": "open"},
           after={"password": "changed", "sessions": "ended"})


def _require_manages(actor: User, target: User) -> None:
    """Views answer 404 before this; callers without a request must not get past scope either."""
    if not manages(actor, target):
        raise PermissionError("account outside the actor's scope")


@dataclass
class AccountList:
    """One page of the account list, and how many matched in all."""

    accounts: list[User]
    total: int


def accounts_in_scope(actor: User, *, role: str = "", unit_code: str = "", text: str = "",
                      limit: int = LIST_LIMIT) -> AccountList:
    """Accounts the actor manages, by role, within a unit, and by name typed with or without accents."""
    query = in_scope(actor, User).order_by(User.full_name, User.username)
    if role_or_none(role) is not None:
        query = query.where(User.role == Role(role))
    if unit_code.strip():
        unit = unit_by_code(unit_code.strip())
        if unit is None:
            return AccountList([], 0)
        query = query.join(User.unit).where(AdministrativeUnit.lies_within(unit))
    accounts = list(db.session.scalars(query))
    wanted = fold(text)
    if wanted:
        # Accounts are few next to residents: folding in Python keeps both databases alike.
        accounts = [u for u in accounts if wanted in fold(u.full_name) or wanted in u.username.lower()]
    return AccountList(accounts[:limit], len(accounts))


def accounts_by_role(actor: User) -> dict[Role, int]:
    """How many accounts of each role sit on units within the actor's scope."""
    counts = db.session.execute(
        select(User.role, func.count())
        .where(User.unit_id.in_(units_in_scope(actor)))
        .group_by(User.role)
    )
    return {role: count for role, count in counts}
