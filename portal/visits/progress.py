"""How far the walk has got: the campaign's target population of each hamlet, by standing.

Figures are counted in the database, a group for each combination of what a standing is made
of (the latest visit's outcome and screening result, whether a deferral is still running,
whether the person has the campaign's dose); each group's standing is then the one rule,
outcomes.standing, so these figures are the walk's and the lists' own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal.campaigns.models import Campaign
from portal.campaigns.rules import dose_clause, target_clause
from portal.extensions import db
from portal.residents.models import Resident, ResidentStatus
from portal.scope import hamlets_in_scope
from portal.text import natural_key
from portal.timeutil import today_local
from portal.units.models import AdministrativeUnit
from portal.visits.models import Visit
from portal.visits.outcomes import Standing, standing

# The commune lead's table of a campaign: its columns, each the standings it counts.
PROGRESS_COLUMNS: tuple[tuple[str, frozenset[Standing]], ...] = (
    ("to_visit", frozenset({Standing.TO_VISIT, Standing.DEFERRAL_ENDED})),
    ("willing", frozenset({Standing.WILLING})),
    ("refused", frozenset({Standing.REFUSED})),
    ("contraindicated", frozenset({Standing.CONTRAINDICATED, Standing.CAUTION})),
    ("deferred", frozenset({Standing.DEFERRED})),
    ("homebound", frozenset({Standing.HOMEBOUND})),
    ("hospitalised", frozenset({Standing.HOSPITALISED})),
    ("absent", frozenset({Standing.ABSENT})),
    ("up_to_date", frozenset({Standing.UP_TO_DATE})),
)


@dataclass
class HamletProgress:
    """How far the walk of one hamlet has got in a campaign."""

    hamlet: AdministrativeUnit
    residents: int = 0  # the campaign's target population in the hamlet
    visited: int = 0  # of them, those with a visit that counts
    standings: Counter = field(default_factory=Counter)

    @property
    def percent_visited(self) -> float:
        return 100.0 * self.visited / self.residents if self.residents else 0.0

    def column(self, name: str) -> int:
        """How many of the hamlet's target population a column of the table counts."""
        wanted = dict(PROGRESS_COLUMNS)[name]
        return sum(count for standing_, count in self.standings.items() if standing_ in wanted)


def column_totals(rows: list[HamletProgress]) -> dict[str, int]:
    """The table's last line: each column summed over the hamlets."""
    return {name: sum(row.column(name) for row in rows) for name, _ in PROGRESS_COLUMNS}


def hamlets_by_name(hamlet_ids) -> list[AdministrativeUnit]:
    """Hamlets in their natural order: Khu vực 1, 2, ... 10 (not 1, 10, 2)."""
    hamlets = db.session.scalars(select(AdministrativeUnit).where(
        AdministrativeUnit.id.in_(hamlet_ids)))
    return sorted(hamlets, key=lambda h: natural_key(h.name))


def hamlet_progress(user, campaign: Campaign | None, today: date | None = None,
                    ) -> list[HamletProgress]:
    """The campaign's target population per hamlet in scope, visited and by standing."""
    rows = {h.id: HamletProgress(h) for h in hamlets_by_name(hamlets_in_scope(user))}
    if campaign is None or not rows:
        return list(rows.values())
    for hamlet_id, (counts, visited) in standing_counts(
            campaign, list(rows), today or today_local()).items():
        rows[hamlet_id].standings = counts
        rows[hamlet_id].residents = sum(counts.values())
        rows[hamlet_id].visited = visited
    return list(rows.values())


def standing_counts(campaign: Campaign, hamlet_ids: list[int], today: date,
                    ) -> dict[int, tuple[Counter, int]]:
    """For each hamlet, its target population counted by standing, and how many were visited."""
    latest = (select(Visit.resident_id, func.max(Visit.id).label("visit_id"))
              .join(Resident, Resident.id == Visit.resident_id)
              .where(Visit.counts_in(campaign), Resident.hamlet_id.in_(hamlet_ids))
              .group_by(Visit.resident_id).subquery())
    visit = aliased(Visit)
    up_to_date = dose_clause(campaign)
    deferring = visit.deferred_until > today
    groups = db.session.execute(
        select(Resident.hamlet_id, visit.outcome, visit.screening_category, deferring,
               up_to_date, latest.c.visit_id.is_not(None), func.count())
        .select_from(Resident)
        .outerjoin(latest, latest.c.resident_id == Resident.id)
        .outerjoin(visit, visit.id == latest.c.visit_id)
        .where(Resident.hamlet_id.in_(hamlet_ids), target_clause(campaign))
        .group_by(Resident.hamlet_id, visit.outcome, visit.screening_category, deferring,
                  up_to_date, latest.c.visit_id.is_not(None))
    )
    counts: dict[int, tuple[Counter, int]] = {}
    for hamlet_id, outcome, category, still_deferred, has_dose, visited, count in groups:
        latest_visit = None
        if visited:
            until = None if still_deferred is None else today + timedelta(
                days=1 if still_deferred else 0)
            latest_visit = SimpleNamespace(outcome=outcome, screening_category=category,
                                           deferred_until=until)
        current = standing(resident_status=ResidentStatus.PRESENT, targeted=True,
                           up_to_date=bool(has_dose), latest_visit=latest_visit, today=today)
        tally, seen = counts.get(hamlet_id, (Counter(), 0))
        tally[current] += count
        counts[hamlet_id] = (tally, seen + (count if visited else 0))
    return counts
