"""What each role's home page shows: the domain's figures for the user's scope, composed."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.admin.users import accounts_by_role
from portal.auth.models import Role
from portal.auth.throttle import recent_throttles
from portal.campaigns.active import chosen_campaign
from portal.coverage.figures import commune_coverage
from portal.charts import coverage_bars, stacked_bars
from portal.labels import PROGRESS_COLUMN
from portal.lists.browse import approved_lists, lists_waiting, returned_lists
from portal.scope import units_in_scope
from portal.units.tree import count_by_level
from portal.visits.progress import PROGRESS_COLUMNS, column_totals, hamlet_progress


def home_context(user) -> dict:
    """The figures of the user's home page, by role, for the campaign they work on."""
    campaign = chosen_campaign(user)
    context = {"campaign": campaign}
    if user.role in (Role.SCREENER, Role.COMMUNE_LEAD):
        context["hamlets"] = hamlet_progress(user, campaign)
    if user.role is Role.COMMUNE_LEAD:
        context["columns"] = [name for name, _ in PROGRESS_COLUMNS]
        context["totals"] = column_totals(context["hamlets"])
        context["standings_chart"] = stacked_bars(
            _("Where each hamlet's target population stands"),
            [(row.hamlet.name, {name: row.column(name) for name in context["columns"]})
             for row in context["hamlets"]], PROGRESS_COLUMN)
        context["returned"] = returned_lists(user)
    if user.role is Role.DISTRICT_OFFICER:
        context["coverage"] = commune_coverage(user, campaign)
        context["coverage_chart"] = coverage_bars(
            _("Coverage of each commune against its target population"),
            [(row.commune.name, row.up_to_date, row.target) for row in context["coverage"]],
            _("target: 100 %"))
        context["waiting"] = lists_waiting(user)
    if user.role is Role.CLERK:
        context["approved"] = approved_lists(user)
    if user.role is Role.ADMIN:
        context["accounts"] = accounts_by_role(user)
        context["units"] = count_by_level(units_in_scope(user))
        context["throttles"] = recent_throttles(user)
    return context
