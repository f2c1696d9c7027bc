"""Creating accounts: the checks shared by the CLI and, later, the admin screens."""

from __future__ import annotations

from sqlalchemy import select

from portal.auth.models import Role, User
from portal.auth.passwords import hash_password, password_problems
from portal.audit.log import record
from portal.extensions import db
from portal.units.models import AdministrativeUnit


def is_valid_username(username: str) -> bool:
    """Letters, digits, '.' or '_', at most 64: the rule for the command line and the screens."""
    return 0 < len(username) <= 64 and username.replace("_", "").replace(".", "").isalnum()


class AccountError(ValueError):
    """An account could not be created; the message says why."""


def create_user(
    *,
    username: str,
    password: str,
    role: str,
    unit_code: str,
    full_name: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Check and add a user; raises AccountError and adds nothing when anything is wrong.

    password_hash lets bulk callers (the demo) hash a shared password once.
    """
    username = username.strip()
    if not is_valid_username(username):
        raise AccountError(
            f"Invalid user name {username!r}: use letters, digits, '.' or '_', at most 64."
        )
    try:
        role_value = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise AccountError(f"Unknown role {role!r}. Choose one of: {choices}.") from None
    unit = db.session.scalar(select(AdministrativeUnit).where(AdministrativeUnit.code == unit_code))
    if unit is None:
        raise AccountError(f"Unknown administrative unit code {unit_code!r}.")
    taken = db.session.scalar(select(User.id).where(db.func.lower(User.username) == username.lower()))
    if taken is not None:
        raise AccountError(f"A user named {username!r} already exists.")
    if password_hash is None:
        problems = password_problems(password, username)
        if problems:
            raise AccountError("Weak password: " + " ".join(problems))
        password_hash = hash_password(password)
    user = User(
        username=username,
        full_name=full_name or username,
        password_hash=password_hash,
        role=role_value,
        unit=unit,
    )
    db.session.add(user)
    db.session.flush()
    record(
        "user.create",
        "user",
        user.id,
        unit_id=unit.id,
        after={"username": username, "role": role_value.value, "unit": unit.code},
    )
    return user
