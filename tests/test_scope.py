"""Scope declared by the models: one generic in_scope for every model that says where its unit is."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.log import record
from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.extensions import db
from portal.lists.models import ComplianceList, ListState
from portal.residents.models import Household, Resident
from portal.scope import in_scope
from portal.units.models import AdministrativeUnit
from portal.visits.models import Outcome, Visit


def _user(role: Role) -> User:
    return db.session.scalars(select(User).where(User.role == role)).one()


def _names(user, model=Resident) -> set[str]:
    return {r.full_name for r in db.session.scalars(in_scope(user, model))}


def test_residents_are_in_scope_of_their_commune_district_and_province(app, world):
    with app.app_context():
        assert _names(_user(Role.SCREENER)) == {
            "Nguyễn Văn Đức", "Nguyễn Thị Lan", "Trần Văn Nam", "Trần Ngọc Bảo Anh", "Lê Thị Hoa"}
        district = db.session.scalars(in_scope(_user(Role.DISTRICT_OFFICER), Resident)).all()
        assert world["khanh"] in {r.id for r in district} and len(district) == 6
        assert world["other"] not in {r.id for r in district}  # Bình Thủy is another district
        assert len(db.session.scalars(in_scope(_user(Role.ADMIN), Resident)).all()) == 7


def test_a_screener_bound_to_a_hamlet_sees_that_hamlet_only(app, world):
    with app.app_context():
        screener = _user(Role.SCREENER)
        screener.hamlets = [db.session.scalars(
            select(AdministrativeUnit).where(AdministrativeUnit.code == "31117-02")).one()]
        db.session.commit()
        assert _names(screener) == {"Lê Thị Hoa"}
        assert {h.code for h in db.session.scalars(in_scope(screener, Household))} == {"HGĐ-0101"}


def test_visits_are_scoped_through_their_resident(app, world):
    with app.app_context():
        screener = _user(Role.SCREENER)
        for key in ("duc", "other"):
            db.session.add(Visit(client_uuid=f"00000000-0000-4000-8000-00000000000{len(key)}",
                                 campaign_id=world["campaign"], resident_id=world[key],
                                 user_id=screener.id, outcome=Outcome.ABSENT))
        db.session.commit()
        seen = db.session.scalars(in_scope(screener, Visit)).all()
        assert [v.resident_id for v in seen] == [world["duc"]]
        assert len(db.session.scalars(in_scope(_user(Role.ADMIN), Visit)).all()) == 2


def test_a_clerk_files_approved_lists_only_and_an_officer_sees_every_state(app, world):
    with app.app_context():
        commune = db.session.scalars(
            select(AdministrativeUnit).where(AdministrativeUnit.code == "31117")).one()
        for version, state in enumerate((ListState.RETURNED, ListState.APPROVED), 1):
            db.session.add(ComplianceList(campaign_id=world["campaign"], commune_id=commune.id,
                                          version=version, state=state))
        db.session.commit()
        states = {lst.state for lst in db.session.scalars(
            in_scope(_user(Role.CLERK), ComplianceList))}
        assert states == {ListState.APPROVED}
        assert len(db.session.scalars(
            in_scope(_user(Role.DISTRICT_OFFICER), ComplianceList)).all()) == 2


def test_events_tied_to_no_unit_are_for_an_admin_of_the_whole_tree(app, users):
    with app.app_context():
        record("user.login_failed", "user", None, unit_id=None)
        db.session.commit()
        assert db.session.scalars(in_scope(_user(Role.ADMIN), AuditEvent)).all()
        assert not db.session.scalars(in_scope(_user(Role.DISTRICT_OFFICER), AuditEvent)).all()


def test_accounts_are_managed_within_the_unit_by_role(app, users):
    with app.app_context():
        lead = {u.role for u in db.session.scalars(in_scope(_user(Role.COMMUNE_LEAD), User))}
        assert lead == {Role.SCREENER}
        assert not db.session.scalars(in_scope(_user(Role.DISTRICT_OFFICER), User)).all()
        assert len(db.session.scalars(in_scope(_user(Role.ADMIN), User)).all()) == 5


def test_a_model_that_declares_no_scope_is_refused(app, users):
    from portal.imports.models import ImportMapping

    with app.app_context(), pytest.raises(TypeError, match="declares no scope"):
        in_scope(_user(Role.ADMIN), ImportMapping)
