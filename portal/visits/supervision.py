"""Supervision: who visited how much, and where, over the last days. Per screener and per
hamlet in scope: visits a day, the share of each outcome (a hamlet where everyone is "absent"
stands out), visits undone, people added; and the hamlets nobody has visited for some days."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.residents.models import RecordSource, Resident
from portal.scope import hamlets_in_scope
from portal.timeutil import day_start
from portal.visits.models import Outcome, Visit
from portal.visits.progress import hamlets_by_name

# A share of "absent" above this, over enough visits, is worth a look.
ABSENT_ALERT = 0.6
ABSENT_ALERT_MIN_VISITS = 10


@dataclass
class Activity:
    """One screener's or one hamlet's visits over the period."""

    name: str
    days: int
    outcomes: Counter = field(default_factory=Counter)
    undone: int = 0
    added: int = 0
    last_visit: datetime | None = None

    @property
    def visits(self) -> int:
        return sum(self.outcomes.values())

    @property
    def per_day(self) -> float:
        return self.visits / self.days if self.days else 0.0

    def share(self, outcome: Outcome) -> float:
        return 100.0 * self.outcomes[outcome] / self.visits if self.visits else 0.0

    @property
    def mostly_absent(self) -> bool:
        return (self.visits >= ABSENT_ALERT_MIN_VISITS
                and self.outcomes[Outcome.ABSENT] > ABSENT_ALERT * self.visits)


@dataclass
class Supervision:
    since: date
    until: date
    screeners: list[Activity]
    hamlets: list[Activity]
    not_visited: list[Activity]  # hamlets with no visit for `quiet_days` days


def supervision(user, campaign: Campaign, today: date, days: int = 7,
                quiet_days: int = 3) -> Supervision:
    """The last `days` days up to today (in Vietnam), for the campaign, within the scope."""
    since_day = today - timedelta(days=days - 1)
    since, until = day_start(since_day), day_start(today + timedelta(days=1))
    hamlets = hamlets_in_scope(user)
    undone = Visit.undone_at.is_not(None).label("undone")
    visits = (select(Visit.user_id, Resident.hamlet_id, Visit.outcome, undone, func.count())
              .join(Resident, Resident.id == Visit.resident_id)
              .where(Resident.hamlet_id.in_(hamlets), Visit.campaign_id == campaign.id,
                     Visit.visited_at >= since, Visit.visited_at < until)
              .group_by(Visit.user_id, Resident.hamlet_id, Visit.outcome, undone))
    by_user: dict[int | None, Activity] = {}
    by_hamlet: dict[int, Activity] = {}
    for user_id, hamlet_id, outcome, was_undone, count in db.session.execute(visits):
        for key, table in ((user_id, by_user), (hamlet_id, by_hamlet)):
            activity = table.setdefault(key, Activity("", days))
            if was_undone:
                activity.undone += count
            else:
                activity.outcomes[outcome] += count
    added = db.session.execute(
        select(Resident.hamlet_id, func.count()).where(
            Resident.hamlet_id.in_(hamlets), Resident.source == RecordSource.SCREENING,
            Resident.created_at >= since, Resident.created_at < until)
        .group_by(Resident.hamlet_id))
    for hamlet_id, count in added:
        by_hamlet.setdefault(hamlet_id, Activity("", days)).added += count
    last = dict(db.session.execute(
        select(Resident.hamlet_id, func.max(Visit.visited_at))
        .join(Resident, Resident.id == Visit.resident_id)
        .where(Resident.hamlet_id.in_(hamlets), Visit.campaign_id == campaign.id,
               Visit.undone_at.is_(None))
        .group_by(Resident.hamlet_id)).all())
    for user_id, count in db.session.execute(
            select(AuditEvent.user_id, func.count()).where(
                AuditEvent.action == "resident.create", AuditEvent.unit_id.in_(hamlets),
                AuditEvent.occurred_at >= since, AuditEvent.occurred_at < until)
            .group_by(AuditEvent.user_id)):
        if user_id is not None:
            by_user.setdefault(user_id, Activity("", days)).added += count
    names = {u.id: u.full_name for u in db.session.scalars(
        select(User).where(User.id.in_([k for k in by_user if k is not None])))}
    for user_id, activity in by_user.items():
        activity.name = names.get(user_id, "—")
    places = hamlets_by_name(hamlets)
    # Across several communes, hamlets share names ("Khu vực 1"): each says its commune.
    several = len({place.parent_id for place in places}) > 1
    hamlet_rows, quiet = [], []
    quiet_since = day_start(today - timedelta(days=quiet_days - 1))
    for place in places:
        activity = by_hamlet.get(place.id, Activity("", days))
        activity.name = f"{place.name} · {place.parent.name}" if several else place.name
        activity.last_visit = last.get(place.id)
        hamlet_rows.append(activity)
        if activity.last_visit is None or activity.last_visit < quiet_since:
            quiet.append(activity)
    screeners = sorted(by_user.values(), key=lambda a: (-a.visits, a.name))
    return Supervision(since_day, today, screeners, hamlet_rows, quiet)
