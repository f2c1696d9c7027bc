"""Who may do what: the permission matrix of roles against actions, checked in every view."""

from __future__ import annotations

import enum
import functools

from flask import abort
from flask_login import current_user, login_required

from portal.auth.models import Role


class Action(enum.StrEnum):
    """Things a user can do in the portal."""

    VIEW_HOME = "view_home"
    WALK = "walk"  # see hamlets, households and residents with their status
    SEARCH_RESIDENTS = "search_residents"
    # Find a person by their full ID number, card in hand: for those who meet them at the door.
    SEARCH_BY_ID_NUMBER = "search_by_id_number"
    VIEW_HEALTH_DETAILS = "view_health_details"  # a resident's card: risk flags, doses, visits
    RECORD_VISIT = "record_visit"
    ADD_RESIDENT = "add_resident"
    # Correct how to reach a person (phone, guardian, household address), at the door.
    CORRECT_CONTACT = "correct_contact"
    # Correct any of a person's fields: name, birth, sex, ID number, hamlet, household, status.
    CORRECT_RESIDENT = "correct_resident"
    # See the commune's likely duplicates; merge two records of one person, or keep them apart.
    MERGE_RESIDENTS = "merge_residents"
    UNDO_MERGE = "undo_merge"  # take a merge back (admin)
    # See the people whose identity disagrees, and send the list to the commune police.
    CHECK_REGISTER = "check_register"
    # Load the official list of units again, rename or add a hamlet (admin).
    MANAGE_UNITS = "manage_units"
    # The day's report per commune (visits, doses, refusals, coverage), to send up.
    DAILY_REPORT = "daily_report"
    # Coverage of the unit and each unit below it, down to the people behind a figure.
    VIEW_COVERAGE = "view_coverage"
    # Who visited how much, and where: per screener and per hamlet, the hamlets left unvisited.
    VIEW_SUPERVISION = "view_supervision"
    VIEW_FOLLOW_UP = "view_follow_up"
    PREPARE_LIST = "prepare_list"  # preview and submit the commune's list
    REVIEW_LIST = "review_list"  # approve or return
    VIEW_LISTS = "view_lists"
    VIEW_UNAPPROVED_LISTS = "view_unapproved_lists"  # lists before approval, as well as after
    DOWNLOAD_LISTS = "download_lists"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    IMPORT_DATA = "import_data"
    MANAGE_CAMPAIGNS = "manage_campaigns"
    # Erase a person's data on request (`flask residents erase`): no screen does it.
    ERASE_PERSONAL_DATA = "erase_personal_data"
    # The sessions of the communes in scope, how full they are; a session's list of people
    # (their names, phones and risk flags only to those who may see health details).
    VIEW_SESSIONS = "view_sessions"
    # Keep the commune's sites and plan (or cancel) its sessions.
    MANAGE_SESSIONS = "manage_sessions"
    # Give a willing person an appointment from their card (at the door), or cancel it.
    BOOK_APPOINTMENT = "book_appointment"
    # At the site, from the session's list: the dose given, did not come, deferred at the
    # screening, and an undo of it. The site's staff work on the commune lead's accounts.
    RECORD_DOSE = "record_dose"


A = Action
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.SCREENER: frozenset({
        A.VIEW_HOME, A.WALK, A.SEARCH_RESIDENTS, A.SEARCH_BY_ID_NUMBER, A.VIEW_HEALTH_DETAILS,
        A.RECORD_VISIT, A.ADD_RESIDENT, A.CORRECT_CONTACT, A.VIEW_FOLLOW_UP,
        A.BOOK_APPOINTMENT,
    }),
    Role.COMMUNE_LEAD: frozenset({
        A.VIEW_HOME, A.WALK, A.SEARCH_RESIDENTS, A.SEARCH_BY_ID_NUMBER, A.VIEW_HEALTH_DETAILS,
        A.RECORD_VISIT, A.ADD_RESIDENT, A.CORRECT_CONTACT, A.CORRECT_RESIDENT,
        A.MERGE_RESIDENTS, A.CHECK_REGISTER, A.VIEW_SUPERVISION, A.VIEW_COVERAGE,
        A.VIEW_FOLLOW_UP,
        A.PREPARE_LIST, A.VIEW_LISTS,
        A.VIEW_UNAPPROVED_LISTS, A.DOWNLOAD_LISTS, A.MANAGE_USERS, A.IMPORT_DATA,
        A.VIEW_SESSIONS, A.MANAGE_SESSIONS, A.BOOK_APPOINTMENT, A.RECORD_DOSE,
    }),
    Role.DISTRICT_OFFICER: frozenset({
        A.VIEW_HOME, A.SEARCH_RESIDENTS, A.VIEW_HEALTH_DETAILS, A.VIEW_FOLLOW_UP,
        A.REVIEW_LIST, A.VIEW_LISTS, A.VIEW_UNAPPROVED_LISTS, A.DOWNLOAD_LISTS, A.VIEW_AUDIT,
        A.DAILY_REPORT, A.VIEW_SUPERVISION, A.VIEW_COVERAGE, A.VIEW_SESSIONS,
    }),
    Role.CLERK: frozenset({A.VIEW_HOME, A.VIEW_LISTS, A.DOWNLOAD_LISTS}),
    Role.ADMIN: frozenset({
        A.VIEW_HOME, A.SEARCH_RESIDENTS, A.MANAGE_USERS, A.VIEW_AUDIT, A.IMPORT_DATA,
        A.MANAGE_CAMPAIGNS, A.VIEW_LISTS, A.VIEW_UNAPPROVED_LISTS, A.ERASE_PERSONAL_DATA,
        A.UNDO_MERGE, A.MANAGE_UNITS, A.VIEW_SESSIONS, A.MANAGE_SESSIONS,
    }),
}


def can(user, action: Action) -> bool:
    """True when the user's role allows the action (scope is checked separately)."""
    return bool(getattr(user, "is_authenticated", False)) and action in PERMISSIONS[user.role]


def sees_health_details(user) -> bool:
    """Whether the user may read health details (risk flags, doses, what a visit found and
    why): the card's permission, asked by every screen, file or trail that could show them."""
    return can(user, Action.VIEW_HEALTH_DETAILS)


def requires(action: Action):
    """View decorator: log in first, then 403 unless the role allows `action`."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(current_user, action):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_action = action
        return wrapped

    return decorator
