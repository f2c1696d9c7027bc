"""What a closed campaign keeps once its retention period is over, and the purge of the rest.

A campaign's visits and lists answer for what a commune reported while someone may still
check it. Once RETENTION_YEARS have passed since the campaign closed (docs/privacy.md), the
words typed at the door (a medical reason, a note) and the refusal's reason are no longer
needed by anyone, nor are the draft files of its lists: they are removed. What remains says
who was found where and with which outcome, and the approved lists with their files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select, update

from portal.audit.log import record
from portal.campaigns.manage import closed_on
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.lists.files import discard_drafts, drafts_of
from portal.lists.models import ComplianceList, ComplianceListRow
from portal.visits.models import Visit

# The details of a visit the purge clears: free text, and why someone refused.
PURGED_VISIT_FIELDS = ("reason", "note", "refusal_reason")


@dataclass(frozen=True)
class Purge:
    """What the purge removed from one campaign."""

    campaign_id: int
    visits: int  # visits whose words or refusal reason were cleared
    list_rows: int  # rows of its lists whose words were cleared (frozen before they stopped)
    draft_files: int

    @property
    def anything(self) -> bool:
        return bool(self.visits or self.list_rows or self.draft_files)


def retention_ends(campaign: Campaign, years: int) -> date | None:
    """The day the campaign's retention period ends: `years` after the day it closed; None
    while it is open."""
    closed = closed_on(campaign)
    if closed is None:
        return None
    try:
        return closed.replace(year=closed.year + years)
    except ValueError:  # closed on 29 February
        return closed.replace(year=closed.year + years, day=28)


def past_retention(today: date, years: int) -> list[Campaign]:
    """Closed campaigns whose retention period has ended by today, the oldest closed first."""
    closed = db.session.scalars(select(Campaign).where(Campaign.closed_at.is_not(None))
                                .order_by(Campaign.closed_at))
    return [c for c in closed if retention_ends(c, years) <= today]


def purge_campaign(campaign: Campaign, *, years: int, dry_run: bool = False) -> Purge:
    """Remove what the campaign no longer needs (see the module); audited as campaign.purge
    when anything went. With dry_run, only counts. Flushes, never commits.

    Purging again finds nothing left and records nothing.
    """
    visits = Visit.campaign_id == campaign.id
    worded = or_(*(getattr(Visit, name).is_not(None) for name in PURGED_VISIT_FIELDS))
    visit_ids = list(db.session.scalars(select(Visit.id).where(visits, worded)))
    list_ids = list(db.session.scalars(select(ComplianceList.id).where(
        ComplianceList.campaign_id == campaign.id)))
    row_ids = list(db.session.scalars(select(ComplianceListRow.id).where(
        ComplianceListRow.list_id.in_(list_ids), ComplianceListRow.reason_detail.is_not(None))))
    if dry_run:
        return Purge(campaign.id, len(visit_ids), len(row_ids), len(drafts_of(list_ids)))
    if visit_ids:
        db.session.execute(update(Visit).where(Visit.id.in_(visit_ids))
                           .values(**dict.fromkeys(PURGED_VISIT_FIELDS)))
    if row_ids:
        db.session.execute(update(ComplianceListRow).where(ComplianceListRow.id.in_(row_ids))
                           .values(reason_detail=None))
    purge = Purge(campaign.id, len(visit_ids), len(row_ids), discard_drafts(list_ids))
    if purge.anything:
        record("campaign.purge", "campaign", campaign.id, unit_id=campaign.unit_id,
               after={"retention_years": years, "visits": purge.visits,
                      "list_rows": purge.list_rows, "draft_files": purge.draft_files})
    return purge
