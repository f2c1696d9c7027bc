"""A visit records what a screener found at a resident's door."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.scope import ScopedBy, Within
from portal.timeutil import utcnow
from portal.units.models import str_enum


class Outcome(enum.StrEnum):
    """What a visit found (DESIGN.md section 3)."""

    UP_TO_DATE = "up_to_date"  # card seen
    WILLING = "willing"  # willing, not yet vaccinated: needs an appointment
    REFUSED = "refused"
    CONTRAINDICATED = "contraindicated"  # see ScreeningCategory
    HOMEBOUND = "homebound"
    HOSPITALISED = "hospitalised"  # in hospital or in COVID treatment
    ABSENT = "absent"
    MOVED_AWAY = "moved_away"
    DECEASED = "deceased"


class RefusalReason(enum.StrEnum):
    """Why a resident declined; kept for the advocacy revisit."""

    SIDE_EFFECTS = "side_effects"
    OTHER_VACCINE = "other_vaccine"
    RELIGIOUS = "religious"
    FAMILY = "family"
    OTHER = "other"


class ScreeningCategory(enum.StrEnum):
    """The Ministry of Health pre-vaccination screening categories."""

    CONTRAINDICATION = "contraindication"
    DEFERRAL = "deferral"  # until a date
    CAUTION = "caution"  # vaccinate at a hospital site


class Visit(db.Model):
    """One knock on the door; never overwritten, the latest one per campaign counts."""

    __tablename__ = "visits"
    __scope__ = ScopedBy("resident.hamlet_id", Within.HAMLETS)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Made by the browser when the form opens: a resubmitted form finds its visit again. One
    # knock on a door records a row for each campaign it screened, all with the same id.
    client_uuid: Mapped[str] = mapped_column(String(36), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    visited_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome))
    refusal_reason: Mapped[RefusalReason | None] = mapped_column(str_enum(RefusalReason))
    screening_category: Mapped[ScreeningCategory | None] = mapped_column(
        str_enum(ScreeningCategory)
    )
    deferred_until: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    # The register status before this visit changed it (moved away, deceased), for undo.
    resident_status_before: Mapped[str | None] = mapped_column(String(16))
    # Set when the visit was undone; an undone visit stays in the history but no longer counts.
    undone_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    resident = relationship("Resident")
    campaign = relationship("Campaign")
    user = relationship("User")

    @hybrid_method
    def counts_in(self, campaign) -> bool:
        """The rule of the visits that count: of this campaign, and not undone."""
        return self.campaign_id == campaign.id and self.undone_at is None

    @counts_in.expression
    @classmethod
    def _counts_in(cls, campaign):
        return and_(cls.campaign_id == campaign.id, cls.undone_at.is_(None))

    __table_args__ = (
        Index("ix_visits_campaign_resident", "campaign_id", "resident_id", "visited_at"),
        Index("ix_visits_campaign_outcome", "campaign_id", "outcome"),
        Index("ix_visits_resident", "resident_id"),
        UniqueConstraint("client_uuid", "campaign_id"),
    )
