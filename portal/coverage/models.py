"""The kept figures: where each resident stands in each campaign (campaign_standings), and the
same summed by hamlet and by what a figure is cut by (coverage_counts, coverage_days), and by
commune (coverage_commune_counts).

Both are written only by portal.coverage.summary, in the transaction of the change they
follow; nothing else writes them. A standing itself is never stored: the rows keep what
outcomes.standing decides it from (the dose, the latest visit's outcome, its screening result
and the end of a deferral), so a deferral that ends tomorrow counts as ended tomorrow.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.residents.models import Sex
from portal.units.models import str_enum
from portal.visits.models import Outcome, ScreeningCategory

# The key columns of coverage_counts and coverage_days are never NULL (NULLs are all distinct
# in a unique key, and an upsert would not find its row): "none" is kept as these.
NO_TEXT = ""
NO_DAY = date(1900, 1, 1)


class CampaignStanding(db.Model):
    """One targeted resident in one campaign: the unit and the cuts they count in, and what
    their standing is decided from. No row: not targeted (or not there any more)."""

    __tablename__ = "campaign_standings"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    # No foreign key: when a resident is deleted, the summary takes their row away itself,
    # after counting it out (a cascade would take it first).
    resident_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hamlet_id: Mapped[int] = mapped_column(Integer)
    commune_id: Mapped[int] = mapped_column(Integer)  # the hamlet's
    band: Mapped[int] = mapped_column(Integer)  # portal.coverage.cuts.AGE_BANDS
    sex: Mapped[Sex] = mapped_column(str_enum(Sex, 8))
    risk: Mapped[int] = mapped_column(Integer)  # cuts.RISK_FLAGS, as bits
    up_to_date: Mapped[bool] = mapped_column(Boolean)
    up_to_date_on: Mapped[date | None] = mapped_column(Date)  # the first such dose's day
    outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome, 24))
    screening_category: Mapped[ScreeningCategory | None] = mapped_column(
        str_enum(ScreeningCategory, 24))
    deferred_until: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_campaign_standings_hamlet", "campaign_id", "hamlet_id"),
                      Index("ix_campaign_standings_resident", "resident_id"))


class _CutsAndState:
    """The columns a row of sums shares with every other: the cuts it is of, what the
    standing of its people is made of (part of the key), and how many they are."""

    band: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sex: Mapped[str] = mapped_column(String(8), primary_key=True)
    risk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    up_to_date: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(24), primary_key=True)  # NO_TEXT: no visit
    screening_category: Mapped[str] = mapped_column(String(24), primary_key=True)
    deferred_until: Mapped[date] = mapped_column(Date, primary_key=True)  # NO_DAY: none
    people: Mapped[int] = mapped_column(Integer)


class CoverageCount(_CutsAndState, db.Model):
    """How many of a hamlet's target population in a campaign share these cuts and this
    standing's makings."""

    __tablename__ = "coverage_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    hamlet_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class CoverageCommuneCount(_CutsAndState, db.Model):
    """coverage_counts summed over a commune's hamlets: what the district's and the province's
    pages read (a tenth of the rows)."""

    __tablename__ = "coverage_commune_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    commune_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class CoverageDay(db.Model):
    """How many of a hamlet's target population became up to date in a campaign on a day (the
    day of the dose that did it; NO_DAY when the dose has no day)."""

    __tablename__ = "coverage_days"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    hamlet_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    people: Mapped[int] = mapped_column(Integer)
