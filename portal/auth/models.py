"""Users of the portal: each has one role and is bound to one administrative unit."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.scope import ScopedBy
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit, str_enum


class Role(enum.StrEnum):
    """The roles of DESIGN.md section 1."""

    SCREENER = "screener"
    COMMUNE_LEAD = "commune_lead"
    DISTRICT_OFFICER = "district_officer"
    CLERK = "clerk"
    ADMIN = "admin"


# A screener may be bound to some hamlets of their commune only.
user_hamlets = Table(
    "user_hamlets",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "hamlet_id", ForeignKey("administrative_units.id", ondelete="CASCADE"), primary_key=True
    ),
)


def new_session_token() -> str:
    """A random token; changing it logs the account out of every session."""
    return secrets.token_urlsafe(16)


def new_session_id() -> str:
    """The name of one login in its cookie: random, so no one can guess another's."""
    return secrets.token_urlsafe(24)


def managed_by(user):
    """The accounts a user may see and manage, within their unit: all of them for an admin;
    the screeners of their commune for a commune lead; none for the other roles."""
    if user.role is Role.ADMIN:
        return None
    if user.role is Role.COMMUNE_LEAD:
        return User.role == Role.SCREENER
    return false()


class User(UserMixin, db.Model):
    """An account of the portal."""

    __tablename__ = "users"
    __scope__ = ScopedBy("unit_id", narrowed=managed_by)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="RESTRICT"), index=True
    )
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the login cookie: a new token (deactivation, password reset) ends old sessions.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    # "vi" or "en"; None follows the portal default.
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    # The campaign the user last chose to work on, of the open ones covering their unit.
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL", use_alter=True))

    unit: Mapped[AdministrativeUnit] = relationship()
    hamlets: Mapped[list[AdministrativeUnit]] = relationship(secondary=user_hamlets)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_enabled

    def get_id(self) -> str:
        """The login cookie names the account and its current session token."""
        return f"{self.id}:{self.session_token}"


class UserSession(db.Model):
    """One login on one device, as the server knows it: the cookie names it by its random id.

    Logging out ends it here, so a copy of the cookie is refused afterwards; a phone logged in
    beside it keeps its own. Idle time and age end it too, computed from the times below (see
    portal/auth/session.py), so an ordinary request writes nothing but a "last seen" now and then.
    """

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_session_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    # Why it ended early: "logout" (idle and old sessions end by the clock, not by a write).
    end_reason: Mapped[str | None] = mapped_column(String(16))
