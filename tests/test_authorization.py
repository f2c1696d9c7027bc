"""Every route, every role, objects inside and outside the user's scope: the answer is right.

The table below names, for each endpoint of the app's URL map, what it needs: nothing
(public), a login, or an action of the permission matrix, and which kind of object its URL
names. A route added without an entry here makes the first test fail.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal.access import PERMISSIONS, Action
from portal.auth.models import Role, User
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.imports.models import Import, ImportKind, ImportState, UnmatchedDose
from portal.jobs.models import Job, JobState
from portal.lists.models import ComplianceList, ListState
from portal.visits.models import Outcome, Visit

from helpers import HX

PUBLIC, LOGIN = "public", "login"
# endpoint: (what it needs, the kind of object in its URL or None)
ROUTES = {
    "static": (PUBLIC, None),
    "auth.login": (PUBLIC, None),
    "main.healthz": (PUBLIC, None),
    "main.set_language": (PUBLIC, None),
    "auth.logout": (LOGIN, None),
    "main.home": (LOGIN, None),
    "main.choose": (LOGIN, None),
    "residents.search": (Action.SEARCH_RESIDENTS, None),
    "visits.card": (Action.VIEW_HEALTH_DETAILS, "resident"),
    "residents.new": (Action.ADD_RESIDENT, "hamlet"),
    "visits.walk": (Action.WALK, None),
    "visits.hamlet": (Action.WALK, "hamlet"),
    "visits.record": (Action.RECORD_VISIT, "resident"),
    "visits.batch": (Action.RECORD_VISIT, None),
    "residents.edit": (Action.CORRECT_CONTACT, "resident"),
    "residents.duplicates": (Action.MERGE_RESIDENTS, None),
    "residents.merge_pair": (Action.MERGE_RESIDENTS, None),
    "residents.dismiss_pair": (Action.MERGE_RESIDENTS, None),
    "residents.merges": (Action.UNDO_MERGE, None),
    "residents.undo_merge_view": (Action.UNDO_MERGE, "merge"),
    "residents.mismatches": (Action.CHECK_REGISTER, None),
    "residents.mismatches_file": (Action.CHECK_REGISTER, None),
    "residents.register": (Action.CORRECT_RESIDENT, None),
    "admin.units": (Action.MANAGE_UNITS, None),
    "campaigns.daily": (Action.DAILY_REPORT, None),
    "visits.supervision_view": (Action.VIEW_SUPERVISION, None),
    "coverage.unit_view": (Action.VIEW_COVERAGE, None),
    "coverage.people_view": (Action.VIEW_COVERAGE, None),
    "campaigns.daily_file": (Action.DAILY_REPORT, None),
    "admin.units_load": (Action.MANAGE_UNITS, None),
    "admin.hamlet_rename": (Action.MANAGE_UNITS, "hamlet"),
    "admin.hamlet_add": (Action.MANAGE_UNITS, "commune"),
    "residents.household": (Action.CORRECT_RESIDENT, "household"),
    "residents.hand_over_view": (Action.CORRECT_RESIDENT, "resident"),
    "residents.arrivals_view": (Action.CORRECT_RESIDENT, None),
    "residents.receive_view": (Action.CORRECT_RESIDENT, "handover"),
    "visits.undo": (Action.RECORD_VISIT, "visit"),
    "visits.household_absent": (Action.RECORD_VISIT, "household"),
    "visits.follow_up": (Action.VIEW_FOLLOW_UP, None),
    "visits.pending": (Action.RECORD_VISIT, None),
    "auth.discard_kept": (LOGIN, None),
    "audit.trail": (Action.VIEW_AUDIT, None),
    "admin.users": (Action.MANAGE_USERS, None),
    "admin.new_user": (Action.MANAGE_USERS, None),
    "admin.edit_user": (Action.MANAGE_USERS, "user"),
    "admin.deactivate_user": (Action.MANAGE_USERS, "user"),
    "admin.reactivate_user": (Action.MANAGE_USERS, "user"),
    "admin.reset_user_password": (Action.MANAGE_USERS, "user"),
    "campaigns.index": (Action.MANAGE_CAMPAIGNS, None),
    "campaigns.new": (Action.MANAGE_CAMPAIGNS, None),
    "campaigns.edit": (Action.MANAGE_CAMPAIGNS, "campaign"),
    "campaigns.close": (Action.MANAGE_CAMPAIGNS, "campaign"),
    "lists.preview": (Action.PREPARE_LIST, None),
    "lists.submit_list": (Action.PREPARE_LIST, None),
    "lists.index": (Action.VIEW_LISTS, None),
    "lists.show": (Action.VIEW_LISTS, "list"),
    "lists.approve_list": (Action.REVIEW_LIST, "list"),
    "lists.return_list": (Action.REVIEW_LIST, "list"),
    "lists.list_files": (Action.DOWNLOAD_LISTS, "list"),
    "lists.prepare_files": (Action.DOWNLOAD_LISTS, "list"),
    "lists.download": (Action.DOWNLOAD_LISTS, "list"),
    "imports.index": (Action.IMPORT_DATA, None),
    "imports.upload": (Action.IMPORT_DATA, None),
    "imports.show": (Action.IMPORT_DATA, "import"),
    "imports.start": (Action.IMPORT_DATA, "import"),
    "imports.report": (Action.IMPORT_DATA, "import"),
    "imports.unmatched": (Action.IMPORT_DATA, None),
    "imports.match": (Action.IMPORT_DATA, "unmatched"),
    # Whoever may see what a job works on may watch its progress (tests/test_list_files.py).
    "jobs.progress": (LOGIN, "job"),
    # Work with no signal (tests/test_offline.py, tests/test_browser_offline.py).
    "offline.service_worker": (PUBLIC, None),
    "offline.manifest": (PUBLIC, None),
    "offline.welcome": (PUBLIC, None),
    "offline.shell": (Action.WALK, None),
    "offline.outbox": (Action.RECORD_VISIT, None),
    "offline.session_token": (Action.RECORD_VISIT, None),
    "offline.hamlets": (Action.VIEW_HEALTH_DETAILS, None),
    "offline.hamlet": (Action.VIEW_HEALTH_DETAILS, "hamlet"),
    # From willing to vaccinated (tests/test_vaccination.py, tests/test_vaccination_routes.py).
    "vaccination.index": (Action.VIEW_SESSIONS, None),
    "vaccination.add_site": (Action.MANAGE_SESSIONS, None),
    "vaccination.close_site": (Action.MANAGE_SESSIONS, "site"),
    "vaccination.plan": (Action.MANAGE_SESSIONS, None),
    "vaccination.session": (Action.VIEW_SESSIONS, "session"),
    "vaccination.cancel_session": (Action.MANAGE_SESSIONS, "session"),
    "vaccination.book": (Action.BOOK_APPOINTMENT, "resident"),
    "vaccination.cancel_appointment": (Action.BOOK_APPOINTMENT, "appointment"),
    "vaccination.dose": (Action.RECORD_DOSE, "appointment"),
    "vaccination.missed": (Action.RECORD_DOSE, "appointment"),
    "vaccination.deferred": (Action.RECORD_DOSE, "appointment"),
    "vaccination.undo": (Action.RECORD_DOSE, "appointment"),
}
# Only the visit's author may undo it (the fixture's visits are the screener's): others get 403.
AUTHOR_ONLY = {"visits.undo"}
# A phone keeps a copy of the hamlets its user is assigned to (the fixture's screener: the one
# inside): anyone else is told 404 for that hamlet too.
ASSIGNED_ONLY = {"offline.hamlet"}
# Kinds whose outside object lies beyond the admin's province too (the others' lie within it).
BEYOND_THE_ADMINS_PROVINCE = {"campaign"}


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def test_every_route_is_in_the_table_and_checks_what_the_table_says(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - ROUTES.keys() == set(), "routes with no entry in tests/test_authorization.py"
    assert ROUTES.keys() - endpoints == set(), "entries for routes that no longer exist"
    for endpoint, (needs, _kind) in ROUTES.items():
        view = app.view_functions[endpoint]
        if isinstance(needs, Action):
            assert getattr(view, "required_action", None) is needs, endpoint
        else:
            assert getattr(view, "required_action", None) is None, endpoint


@pytest.fixture
def objects(app, world):
    """For each kind of object, one inside the demo roles' scope and one outside (Bình Thủy)."""
    from portal.residents.models import DoseKind, Resident
    from portal.units.models import AdministrativeUnit, UnitLevel, create_unit

    with app.app_context():
        screener = db.session.scalar(select(User).where(User.username == "screener"))
        accounts = {}
        for code in ("31117", "31183"):
            unit = db.session.scalar(select(AdministrativeUnit).where(AdministrativeUnit.code == code))
            account = User(username=f"screener.{code}", full_name=f"Tổ rà soát {code}",
                           password_hash=screener.password_hash, role=Role.SCREENER, unit=unit)
            db.session.add(account)
            db.session.flush()
            accounts[code] = account.id
        visits = {}
        for key in ("nam", "other"):
            visit = Visit(client_uuid=f"00000000-0000-4000-8000-00000000000{len(visits)}",
                          campaign_id=world["campaign"], resident_id=world[key],
                          user_id=screener.id, outcome=Outcome.ABSENT)
            db.session.add(visit)
            db.session.flush()
            visits[key] = visit.id
        lists = {}
        for code in ("31117", "31183"):  # approved, so that clerks may open them too
            unit = db.session.scalar(select(AdministrativeUnit).where(AdministrativeUnit.code == code))
            approved = ComplianceList(campaign_id=world["campaign"], commune_id=unit.id,
                                      state=ListState.APPROVED)
            db.session.add(approved)
            db.session.flush()
            lists[code] = approved.id
        imports = {}
        for code in ("31117", "31183"):
            unit = db.session.scalar(select(AdministrativeUnit).where(AdministrativeUnit.code == code))
            upload = Import(kind=ImportKind.RESIDENTS, commune_id=unit.id, filename="nk.csv",
                            sha256="0" * 64, size=1, headers=["Họ và tên"], sample=[],
                            state=ImportState.DONE, report=b"PK")
            db.session.add(upload)
            db.session.flush()
            imports[code] = upload.id
            db.session.add(UnmatchedDose(import_id=upload.id, commune_id=unit.id, line=2,
                                         full_name="Ai Đó", kind="dose_1", vaccine="Pfizer"))
        db.session.flush()
        unmatched = dict(db.session.execute(select(Import.commune_id, UnmatchedDose.id).join(
            UnmatchedDose, UnmatchedDose.import_id == Import.id)).all())
        unmatched = {code: unmatched[db.session.scalar(select(AdministrativeUnit.id).where(
            AdministrativeUnit.code == code))] for code in ("31117", "31183")}
        jobs = {}
        for code, list_id in lists.items():
            job = Job(id=f"00000000-0000-4000-8000-0000000{code}", kind="list_files",
                      subject_type="list", subject_id=list_id, state=JobState.DONE)
            db.session.add(job)
            jobs[code] = job.id
        # A merge in each commune, undone already (the undo answers 409, not 404, inside).
        from portal.residents.models import ResidentMerge
        merges = {}
        for code, key in (("31117", "nam"), ("31183", "other")):
            commune = db.session.scalar(select(AdministrativeUnit).where(
                AdministrativeUnit.code == code))
            merged = ResidentMerge(survivor_id=world[key], merged_id=999_999,
                                   commune_id=commune.id, merged_record={}, moved={}, filled={},
                                   undone_at=datetime(2026, 1, 1))
            db.session.add(merged)
            db.session.flush()
            merges[code] = merged.id
        # A person handed over to each commune, received already (receiving again: 409).
        from portal.residents.models import ResidentHandover
        handovers = {}
        for code, key, other in (("31117", "other", "31183"), ("31183", "nam", "31117")):
            to = db.session.scalar(select(AdministrativeUnit).where(
                AdministrativeUnit.code == code))
            source = db.session.scalar(select(AdministrativeUnit).where(
                AdministrativeUnit.code == other))
            handover = ResidentHandover(resident_id=world[key], from_commune_id=source.id,
                                        to_commune_id=to.id, received_at=datetime(2026, 1, 1))
            db.session.add(handover)
            db.session.flush()
            handovers[code] = handover.id
        # A campaign of another province: outside the scope of everyone here, the admin too.
        province = create_unit(code="93", name="Tỉnh Hậu Giang", kind="Tỉnh",
                               level=UnitLevel.PROVINCE, parent=None)
        elsewhere = Campaign(name="Tiêm mũi 3 tại Hậu Giang", unit_id=province.id,
                             required_dose=DoseKind.BOOSTER_1, age_reference_date=date(2022, 6, 1),
                             starts_on=date(2022, 6, 1), deadline=date(2022, 8, 31))
        db.session.add(elsewhere)
        db.session.flush()
        elsewhere_id = elsewhere.id
        db.session.commit()
        # A site in each commune, a session of today there, and nam's and other's bookings at
        # them (a session of today: its list can be tapped on).
        from portal.timeutil import today_local
        from portal.vaccination.models import (
            Appointment, SiteKind, VaccinationSession, VaccinationSite,
        )
        sites, sessions, appointments = {}, {}, {}
        for code, key in (("31117", "nam"), ("31183", "other")):
            commune = db.session.scalar(select(AdministrativeUnit).where(
                AdministrativeUnit.code == code))
            site = VaccinationSite(commune_id=commune.id, name="Trạm Y tế", kind=SiteKind.FIXED)
            db.session.add(site)
            db.session.flush()
            session = VaccinationSession(site_id=site.id, day=today_local(), starts_at="07:30",
                                         capacity=50,
                                         campaigns=[db.session.get(Campaign, world["campaign"])])
            db.session.add(session)
            db.session.flush()
            appointment = Appointment(session_id=session.id, resident_id=world[key],
                                      campaign_id=world["campaign"])
            db.session.add(appointment)
            db.session.flush()
            sites[code], sessions[code], appointments[code] = site.id, session.id, appointment.id
        db.session.commit()
        hamlet_of = {key: db.session.get(Resident, world[key]).hamlet_id for key in ("nam", "other")}
        # The screener works in nam's hamlet: the one whose copy their phone keeps.
        screener.hamlets = [db.session.get(AdministrativeUnit, hamlet_of["nam"])]
        db.session.commit()
        household_of = {key: db.session.get(Resident, world[key]).household_id
                        for key in ("nam", "other")}
        communes = tuple(db.session.scalar(select(AdministrativeUnit.id).where(
            AdministrativeUnit.code == code)) for code in ("31117", "31183"))
    return {
        "resident": (world["nam"], world["other"]),
        "hamlet": (hamlet_of["nam"], hamlet_of["other"]),
        "household": (household_of["nam"], household_of["other"]),
        "visit": (visits["nam"], visits["other"]),
        "user": (accounts["31117"], accounts["31183"]),
        "list": (lists["31117"], lists["31183"]),
        "job": (jobs["31117"], jobs["31183"]),
        "import": (imports["31117"], imports["31183"]),
        "unmatched": (unmatched["31117"], unmatched["31183"]),
        "campaign": (world["campaign"], elsewhere_id),
        "merge": (merges["31117"], merges["31183"]),
        "handover": (handovers["31117"], handovers["31183"]),
        "commune": communes,
        "site": (sites["31117"], sites["31183"]),
        "session": (sessions["31117"], sessions["31183"]),
        "appointment": (appointments["31117"], appointments["31183"]),
    }


def _path(rule, object_id) -> str:
    def fill(match):
        name = match.group(1)
        return {"kind": "refusals", "file_format": "pdf"}.get(name, str(object_id))
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", fill, rule.rule)


def _call(client, rule, path, headers=None):
    if "POST" in rule.methods and "GET" not in rule.methods:
        return client.post_form(path, {}, headers=headers or {})
    return client.get(path, headers=headers or {})


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_403_for_forbidden_actions_and_404_outside_its_scope(
    app, client, objects, role
):
    client.login(role.value)
    allowed = PERMISSIONS[role]
    for rule in _rules(app):
        needs, kind = ROUTES[rule.endpoint]
        if needs in (PUBLIC, LOGIN) or rule.endpoint == "auth.logout":
            continue
        inside, outside = objects[kind] if kind else (1, None)
        answer = _call(client, rule, _path(rule, inside))
        where = f"{rule.endpoint} as {role.value}"
        if needs not in allowed:
            assert answer.status_code == 403, f"{where}: {answer.status_code}, not 403"
            continue
        if rule.endpoint in AUTHOR_ONLY and role is not Role.SCREENER:
            assert answer.status_code == 403, f"{where}, not the author: {answer.status_code}"
        elif rule.endpoint in ASSIGNED_ONLY and role is not Role.SCREENER:
            assert answer.status_code == 404, f"{where}, not assigned: {answer.status_code}"
        else:
            assert answer.status_code not in (401, 403, 404) and answer.status_code < 500, (
                f"{where} inside the scope: {answer.status_code}")
        if kind and (role is not Role.ADMIN or kind in BEYOND_THE_ADMINS_PROVINCE):
            answer = _call(client, rule, _path(rule, outside))
            assert answer.status_code == 404, f"{where} outside the scope: {answer.status_code}"
            answer = _call(client, rule, _path(rule, 987654))
            assert answer.status_code == 404, f"{where} for a missing object: {answer.status_code}"


def test_without_login_every_protected_route_sends_to_the_login_page(app, client, objects):
    for rule in _rules(app):
        needs, kind = ROUTES[rule.endpoint]
        if needs == PUBLIC:
            continue
        path = _path(rule, objects[kind][0] if kind else 1)
        answer = _call(client, rule, path)
        assert answer.status_code == 302, f"{rule.endpoint}: {answer.status_code}"
        assert answer.headers["Location"].startswith("/login"), rule.endpoint
        answer = _call(client, rule, path, headers=HX)
        assert answer.status_code == 401, f"{rule.endpoint} (HTMX): {answer.status_code}"
        assert answer.headers["HX-Redirect"].startswith("/login"), rule.endpoint
