"""A compliance list and the rows frozen into it when it is submitted."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, case,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.access import Action, can
from portal.extensions import db
from portal.residents.guardians import Guardian
from portal.scope import ScopedBy
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit, str_enum


class ListState(enum.StrEnum):
    """Where a list stands in the commune-to-district workflow."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class ComplianceReason(enum.StrEnum):
    """Why a resident of the target population is on the list."""

    CONTRAINDICATED = "contraindicated"
    DEFERRED = "deferred"
    CAUTION = "caution"
    REFUSED = "refused"
    ABSENT = "absent"
    HOMEBOUND = "homebound"
    HOSPITALISED = "hospitalised"
    WILLING = "willing"
    NOT_VISITED = "not_visited"


def approved_only_unless_allowed(user):
    """Lists before approval are for the roles allowed to see them; a clerk files approved ones."""
    if can(user, Action.VIEW_UNAPPROVED_LISTS):
        return None
    return ComplianceList.state == ListState.APPROVED


class ComplianceList(db.Model):
    """One version of a commune's list for a campaign."""

    __tablename__ = "compliance_lists"
    __scope__ = ScopedBy("commune_id", narrowed=approved_only_unless_allowed)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    commune_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[ListState] = mapped_column(str_enum(ListState), default=ListState.DRAFT)
    # The document number ("Số: 12/DS-UBND") printed on the PDF.
    document_number: Mapped[str | None] = mapped_column(String(40))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime | None] = mapped_column()
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    review_comment: Mapped[str | None] = mapped_column(Text)
    # Who signs for the commune (KT. CHỦ TỊCH / PHÓ CHỦ TỊCH and the name).
    signer_title: Mapped[str | None] = mapped_column(String(80))
    signer_name: Mapped[str | None] = mapped_column(String(120))

    campaign = relationship("Campaign")
    commune: Mapped[AdministrativeUnit] = relationship()
    rows: Mapped[list[ComplianceListRow]] = relationship(
        back_populates="compliance_list",
        order_by="ComplianceListRow.position",
        cascade="all, delete-orphan",
    )

    __table_args__ = (UniqueConstraint("campaign_id", "commune_id", "version"),)

    @hybrid_property
    def dated_at(self) -> datetime | None:
        """The list's day: when it was approved, else when it was submitted."""
        return self.reviewed_at if self.state is ListState.APPROVED else self.submitted_at

    @dated_at.inplace.expression
    @classmethod
    def _dated_at(cls):
        return case((cls.state == ListState.APPROVED, cls.reviewed_at), else_=cls.submitted_at)


class ComplianceListRow(db.Model):
    """A resident as they stood on the list when it was submitted; never edited after."""

    __tablename__ = "compliance_list_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("compliance_lists.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    hamlet_name: Mapped[str] = mapped_column(String(120))
    household_address: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_year: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(8))
    id_number: Mapped[str | None] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(String(16))
    # A minor's parent or guardian, as the list prints it for a children's campaign.
    guardian_name: Mapped[str | None] = mapped_column(String(120))
    guardian_phone: Mapped[str | None] = mapped_column(String(16))
    doses_received: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[ComplianceReason] = mapped_column(str_enum(ComplianceReason))
    # No longer written: rows frozen before held a visit's words here (a medical reason, a
    # note), which the files no longer print and the screen shows only to roles that see
    # health details; the retention purge clears them (docs/privacy.md).
    reason_detail: Mapped[str | None] = mapped_column(Text)
    deferred_until: Mapped[date | None] = mapped_column(Date)

    compliance_list: Mapped[ComplianceList] = relationship(back_populates="rows")

    @property
    def guardian(self) -> Guardian | None:
        """The guardian frozen with the row (a minor's), or None."""
        if self.guardian_name or self.guardian_phone:
            return Guardian(self.guardian_name, self.guardian_phone)
        return None


class ListFile(db.Model):
    """A list rendered once as PDF, Excel or CSV, kept byte for byte with its SHA-256.

    final is the approved edition; a list not yet approved has draft files (marked DỰ THẢO),
    which stay as they were. Every download serves the stored bytes.
    """

    __tablename__ = "list_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("compliance_lists.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(8))  # "pdf", "xlsx", "csv"
    final: Mapped[bool] = mapped_column(Boolean)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    # Loaded only when the file is served, never with a listing.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    compliance_list: Mapped[ComplianceList] = relationship()

    __table_args__ = (UniqueConstraint("list_id", "format", "final"),)
