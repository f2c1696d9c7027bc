"""`flask users create`: clear errors, and nothing added when anything is wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.auth.models import Role, User
from portal.auth.passwords import verify_password
from portal.extensions import db


def _count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_create_user_binds_the_account_to_its_unit(app, runner, units):
    result = runner.invoke(args=["users", "create", "lan.nguyen", "--role", "screener",
                                 "--unit", "31117", "--full-name", "Nguyễn Thị Lan",
                                 "--password", "khu-vuc-1-2022"])
    assert result.exit_code == 0, result.output
    assert "Created lan.nguyen" in result.output
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "lan.nguyen")).one()
        assert user.role is Role.SCREENER
        assert user.unit.code == "31117"
        assert user.full_name == "Nguyễn Thị Lan"
        assert verify_password(user.password_hash, "khu-vuc-1-2022")


@pytest.mark.parametrize(
    "args, message",
    [
        (["screener", "--role", "screener", "--unit", "31117"], "already exists"),
        (["SCREENER", "--role", "screener", "--unit", "31117"], "already exists"),
        (["new.user", "--role", "screener", "--unit", "99999"], "Unknown administrative unit"),
        (["new.user", "--role", "chairman", "--unit", "31117"], "Unknown role"),
        (["bad name!", "--role", "screener", "--unit", "31117"], "Invalid user name"),
    ],
)
def test_create_user_refuses_bad_input_and_adds_nothing(app, runner, users, args, message):
    before = _count_users(app)
    result = runner.invoke(args=["users", "create", *args, "--password", "khu-vuc-1-2022"])
    assert result.exit_code != 0
    assert message in result.output
    assert _count_users(app) == before


@pytest.mark.parametrize(
    "password, message",
    [
        ("short-1", "at least 10 characters"),
        ("onlyletterslong", "mix letters with digits or symbols"),
        ("1234567890", "mix letters"),
        ("password123", "too common"),
        ("new.user-2022", "must not contain the user name"),
    ],
)
def test_create_user_refuses_a_weak_password(app, runner, units, password, message):
    result = runner.invoke(args=["users", "create", "new.user", "--role", "clerk",
                                 "--unit", "916", "--password", password])
    assert result.exit_code != 0
    assert "Weak password" in result.output
    assert message in result.output
    assert _count_users(app) == 0


def test_users_list_shows_role_and_unit(runner, users):
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert "district_officer\tdistrict_officer\t916 Quận Ninh Kiều" in result.output
