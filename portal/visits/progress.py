"""How far the walk has got: the campaign's target population of each hamlet, by standing.

The figures are the kept coverage figures (portal.coverage): summed in the transaction of each
visit, dose and import, each group's standing the one rule, outcomes.standing, so that they
are the walk's, the lists' and the district's own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from portal.campaigns.models import Campaign
from portal.coverage.figures import COLUMNS, by_hamlet
from portal.extensions import db
from portal.scope import hamlets_in_scope
from portal.text import natural_key
from portal.timeutil import today_local
from portal.units.models import AdministrativeUnit

# The commune lead's table of a campaign: its columns, each the standings it counts.
PROGRESS_COLUMNS = COLUMNS


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
    """For each hamlet, its target population counted by standing, and how many were visited:
    the kept coverage figures (portal.coverage.figures), which every page shares."""
    return {hamlet_id: (figures.standings, figures.visited)
            for hamlet_id, figures in by_hamlet(campaign, hamlet_ids, today).items()}
