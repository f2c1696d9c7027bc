"""What each role's home page shows: the domain's figures for the user's scope, composed."""

from __future__ import annotations

from portal.admin.users import accounts_by_role
from portal.auth.models import Role
from portal.auth.throttle import recent_throttles
from portal.campaigns.active import chosen_campaign
from portal.campaigns.coverage import commune_coverage
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
        context["returned"] = returned_lists(user)
    if user.role is Role.DISTRICT_OFFICER:
        context["coverage"] = commune_coverage(user, campaign)
        context["waiting"] = lists_waiting(user)
    if user.role is Role.CLERK:
        context["approved"] = approved_lists(user)
    if user.role is Role.ADMIN:
        context["accounts"] = accounts_by_role(user)
        context["units"] = count_by_level(units_in_scope(user))
        context["throttles"] = recent_throttles(user)
    return context
