"""The lists the index finds: in scope, filtered, waiting ones first, with sizes and files."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal.access import PERMISSIONS, Action, can
from portal.auth.models import Role, User
from portal.extensions import db
from portal.lists.browse import ListFilters, find_lists
from portal.lists.models import ComplianceList, ComplianceListRow, ListFile, ListState
from portal.scope import in_scope
from portal.units.models import AdministrativeUnit


def _user(name) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _unit(code) -> int:
    return db.session.scalar(select(AdministrativeUnit.id).where(AdministrativeUnit.code == code))


def _list(world, code, state, day: date, people=0, version=1) -> int:
    """A list of commune `code` dated `day` (submitted then, and approved then if approved)."""
    at = datetime(day.year, day.month, day.day, 3)  # 10:00 in Vietnam
    compliance_list = ComplianceList(
        campaign_id=world["campaign"], commune_id=_unit(code), version=version, state=state,
        submitted_at=at, reviewed_at=at if state is ListState.APPROVED else None)
    compliance_list.rows = [ComplianceListRow(position=n, hamlet_name="Khu vực 1",
                                              full_name=f"Người {n}", birth_year=1970,
                                              sex="male", doses_received=0,
                                              reason="not_visited")
                            for n in range(1, people + 1)]
    db.session.add(compliance_list)
    db.session.flush()
    return compliance_list.id


@pytest.fixture
def lists(app, world):
    """Lists of Ninh Kiều's communes (Cái Khế 31117, An Hòa 31120) and one of Bình Thủy."""
    with app.app_context():
        ids = {
            "first": _list(world, "31117", ListState.RETURNED, date(2022, 7, 8)),
            "approved": _list(world, "31117", ListState.APPROVED, date(2022, 7, 10), people=3,
                              version=2),
            "returned": _list(world, "31120", ListState.RETURNED, date(2022, 7, 12), people=1),
            "waiting": _list(world, "31120", ListState.SUBMITTED, date(2022, 7, 9), people=2,
                             version=2),
            "elsewhere": _list(world, "31183", ListState.SUBMITTED, date(2022, 7, 11)),
        }
        db.session.add(ListFile(list_id=ids["approved"], format="pdf", final=True, sha256="0" * 64,
                                size=1, content=b"%"))
        db.session.add(ListFile(list_id=ids["approved"], format="csv", final=False,
                                sha256="1" * 64, size=1, content=b","))  # a draft's: not shown
        db.session.commit()
        return ids


def _found(user, **filters):
    found = find_lists(_user(user), ListFilters(**filters))
    return found, [item.id for item in found.lists]


def test_waiting_lists_come_first_then_the_newest_with_their_sizes(app, lists):
    with app.app_context():
        found, ids = _found("district_officer")
        # Not Bình Thủy's; the one without people has no size.
        assert ids == [lists["waiting"], lists["returned"], lists["approved"], lists["first"]]
        assert found.sizes == {lists["waiting"]: 2, lists["returned"]: 1, lists["approved"]: 3}


def test_filters_by_state_campaign_commune_and_days(app, lists, world):
    with app.app_context():
        assert _found("district_officer", state=ListState.RETURNED)[1] == [lists["returned"],
                                                                            lists["first"]]
        assert _found("district_officer", campaign_id=world["campaign"] + 1)[1] == []
        assert _found("district_officer", commune_id=_unit("31117"))[1] == [lists["approved"],
                                                                             lists["first"]]
        # Both ends of the days are included.
        assert _found("district_officer", since=date(2022, 7, 10), until=date(2022, 7, 12))[1] \
            == [lists["returned"], lists["approved"]]
        assert _found("district_officer", until=date(2022, 7, 9))[1] == [lists["waiting"],
                                                                          lists["first"]]
        assert _found("district_officer", since=date(2022, 7, 13))[1] == []


def test_a_clerk_finds_approved_lists_and_their_files_an_admin_no_files(app, lists):
    with app.app_context():
        found, ids = _found("clerk")
        assert ids == [lists["approved"]]
        assert set(found.ready[lists["approved"]]) == {"pdf"}  # the draft's CSV is not offered
        found, ids = _found("admin")
        assert lists["waiting"] in ids and found.ready == {}  # an admin may not download


def test_lists_before_approval_are_shown_to_exactly_the_roles_allowed_to_see_them(
        app, client, lists):
    # The state filter is offered by the permission, the lists are scoped by scope.py: the two
    # must agree.
    roles = [role for role in Role if Action.VIEW_LISTS in PERMISSIONS[role]]
    allowed = {}
    with app.app_context():
        for role in roles:
            user = _user(role.value)
            states = set(db.session.scalars(select(ComplianceList.state).where(
                ComplianceList.id.in_(select(in_scope(user, ComplianceList).subquery().c.id)))))
            allowed[role] = can(user, Action.VIEW_UNAPPROVED_LISTS)
            assert (states != {ListState.APPROVED}) is allowed[role], role
    for role in roles:
        client.login(role.value)
        page = client.get("/lists").get_data(as_text=True)
        assert ('id="state"' in page) is allowed[role], role
        client.post_form("/logout")
