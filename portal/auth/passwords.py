"""Password hashing (scrypt, a slow hash) and the password policy."""

from __future__ import annotations

from flask import current_app, has_app_context
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10
# The passwords people reach for first; refused whatever their length.
COMMON = {
    "1234567890", "12345678910", "0123456789", "password123", "matkhau123", "qwertyuiop",
    "abc1234567", "admin12345", "iloveyou12", "123456789a", "a123456789", "passw0rd12",
}


# werkzeug's scrypt: N=2**15, r=8, p=1, about a tenth of a second a check on this machine.
DEFAULT_METHOD = "scrypt"


def hash_password(password: str, method: str | None = None) -> str:
    """A salted scrypt hash of the password, at the cost PASSWORD_HASH_METHOD sets.

    The cost is stored in the hash, so a check costs what the hash was made with: the tests
    make theirs cheap ("scrypt:1024:8:1"), production keeps the default.
    """
    if method is None:
        method = (current_app.config.get("PASSWORD_HASH_METHOD", DEFAULT_METHOD)
                  if has_app_context() else DEFAULT_METHOD)
    return generate_password_hash(password, method=method)


def verify_password(password_hash: str, password: str) -> bool:
    """True when password matches the stored hash."""
    return check_password_hash(password_hash, password)


def password_problems(password: str, username: str = "") -> list[str]:
    """What is wrong with a new password, as messages for the user; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("The password must have at least %(n)s characters.", n=MIN_LENGTH))
    if password.isalpha() or password.isdigit():
        problems.append(_("The password must mix letters with digits or symbols."))
    if password.lower() in COMMON:
        problems.append(_("This password is too common."))
    if username and username.lower() in password.lower():
        problems.append(_("The password must not contain the user name."))
    return problems
