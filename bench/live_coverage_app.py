"""The baseline of bench/coverage_pages.py: the portal, with its coverage figures and its
compliance list computed from the raw rows on every request instead of read from the kept
standings: what every page did before figures were kept.

gunicorn serves it as `bench.live_coverage_app:app`. Same templates, same views, same
session and scope: only the two functions that read the kept rows are replaced.
"""

from __future__ import annotations

import functools

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import create_app
from portal.campaigns.rules import DOSE_ORDER, target_clause
from portal.coverage import figures, routes
from portal.extensions import db
from portal.lists import compliance, routes as list_routes
from portal.residents.models import Resident
from portal.text import natural_key
from portal.units.models import AdministrativeUnit
from portal.visits.standings import standings_of


def compile_list_from_raw_rows(campaign, commune, today):
    """The list as it was compiled before the kept standings: every targeted resident of the
    commune loaded with their household and doses, each one's standing worked out in Python."""
    hamlets = {h.id: h for h in db.session.scalars(
        select(AdministrativeUnit).where(AdministrativeUnit.parent_id == commune.id))}
    residents = db.session.scalars(
        select(Resident).where(Resident.hamlet_id.in_(hamlets), target_clause(campaign))
        .options(selectinload(Resident.household), selectinload(Resident.doses))).all()
    standings = standings_of(list(residents), campaign, today)
    required = DOSE_ORDER.index(campaign.required_dose)
    entries = []
    for resident in residents:
        standing, visit = standings[resident.id]
        reason = compliance.REASON_BY_STANDING[standing]
        if reason is None:
            continue
        received = sum(1 for d in resident.doses if DOSE_ORDER.index(d.kind) <= required)
        entries.append(compliance.Entry(resident, hamlets[resident.hamlet_id], standing, reason,
                                        visit, received))
    entries.sort(key=lambda e: (natural_key(e.hamlet.name), e.hamlet.id,
                                e.resident.household.code if e.resident.household else "",
                                e.resident.name_folded, e.resident.id))
    return entries


def preview_from_raw_rows(campaign, commune, today, rows):
    """The preview as it was made before: the whole list compiled, then counted."""
    entries = compile_list_from_raw_rows(campaign, commune, today)
    return compliance.Preview(entries[:rows], len(entries), compliance.counts_by_reason(entries),
                              compliance.counts_by_hamlet(entries))


routes.coverage_of = functools.partial(figures.coverage_of, live=True)
list_routes.preview_list = preview_from_raw_rows
app = create_app()
