"""Lists in the user's scope as the screens find them: waiting, approved, filtered for the index."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal.access import Action, can
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.lists import files
from portal.lists.models import ComplianceList, ComplianceListRow, ListFile, ListState
from portal.scope import in_scope
from portal.timeutil import day_range

# The index shows this many lists at most: the newest, those waiting for review first.
INDEX_LIMIT = 200


def lists_waiting(user) -> list[ComplianceList]:
    """Submitted lists in scope waiting for review, oldest first."""
    return db.session.scalars(
        in_scope(user, ComplianceList)
        .where(ComplianceList.state == ListState.SUBMITTED)
        .order_by(ComplianceList.submitted_at)
    ).all()


def returned_lists(user) -> list[ComplianceList]:
    """Lists of the user's communes that the district returned and that no newer version has
    followed yet, newest first: the commune lead is told, with the district's comment."""
    newer = aliased(ComplianceList)
    return db.session.scalars(
        in_scope(user, ComplianceList)
        .where(ComplianceList.state == ListState.RETURNED,
               ~select(newer.id).where(newer.commune_id == ComplianceList.commune_id,
                                       newer.campaign_id == ComplianceList.campaign_id,
                                       newer.version > ComplianceList.version).exists())
        .order_by(ComplianceList.reviewed_at.desc())
    ).all()


def approved_lists(user) -> list[ComplianceList]:
    """Approved lists in scope, newest first."""
    return db.session.scalars(
        in_scope(user, ComplianceList)
        .where(ComplianceList.state == ListState.APPROVED)
        .order_by(ComplianceList.reviewed_at.desc())
    ).all()


@dataclass(frozen=True)
class ListFilters:
    """What the index is filtered by; None filters nothing.

    The days are local days, compared with the day a list is dated (ComplianceList.dated_at:
    approved, or submitted if it has not been), both ends included.
    """

    state: ListState | None = None
    campaign_id: int | None = None
    commune_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class FoundLists:
    """The lists the index shows, with what it shows beside each."""

    lists: list[ComplianceList]
    sizes: dict[int, int] = field(default_factory=dict)  # people on each, by list id
    # The stored files of each list's current edition, by list id and format; empty for a
    # user who may not download them.
    ready: dict[int, dict[str, ListFile]] = field(default_factory=dict)


def find_lists(user, filters: ListFilters) -> FoundLists:
    """Lists in the user's scope that pass the filters, those waiting for review first, then
    the newest (INDEX_LIMIT at most); their sizes, and their files if the user may download."""
    statement = in_scope(user, ComplianceList)
    if filters.state is not None:
        statement = statement.where(ComplianceList.state == filters.state)
    if filters.campaign_id is not None:
        statement = statement.where(ComplianceList.campaign_id == filters.campaign_id)
    if filters.commune_id is not None:
        statement = statement.where(ComplianceList.commune_id == filters.commune_id)
    day = ComplianceList.dated_at
    start, end = day_range(filters.since, filters.until)
    if start:
        statement = statement.where(day >= start)
    if end:
        statement = statement.where(day < end)
    found = db.session.scalars(statement.order_by(
        (ComplianceList.state != ListState.SUBMITTED), day.desc(), ComplianceList.id.desc()
    ).limit(INDEX_LIMIT)).all()
    if not found:
        return FoundLists(found)
    sizes = dict(db.session.execute(
        select(ComplianceListRow.list_id, func.count())
        .where(ComplianceListRow.list_id.in_([item.id for item in found]))
        .group_by(ComplianceListRow.list_id)
    ).all())
    ready = files.stored_files_of(found) if can(user, Action.DOWNLOAD_LISTS) else {}
    return FoundLists(found, sizes, ready)


def campaigns_with_lists(user) -> list[Campaign]:
    """The campaigns of the lists in the user's scope, the latest first."""
    listed = in_scope(user, ComplianceList).subquery()
    return db.session.scalars(select(Campaign).where(
        Campaign.id.in_(select(listed.c.campaign_id))).order_by(Campaign.starts_on.desc())).all()


