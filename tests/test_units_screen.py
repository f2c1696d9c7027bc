"""The administrative units on the admin's screen: the official list loaded again as a job
with its progress, what the load changed, and a commune's hamlets renamed or added."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.jobs import runner
from portal.units.models import AdministrativeUnit, UnitLevel

from helpers import unit


def test_the_admin_loads_the_official_list_again_and_sees_what_it_changed(app, client, users):
    client.login("admin")
    with app.app_context():
        communes_before = db.session.scalar(select(func.count()).select_from(AdministrativeUnit)
                                            .where(AdministrativeUnit.level == UnitLevel.COMMUNE))
    page = client.get("/admin/units").get_data(as_text=True)
    assert "Thành phố Cần Thơ" in page and "Nạp lại danh mục chính thức" in page
    answer = client.post_form("/admin/units/load")
    assert answer.status_code == 302
    job = re.search(r"job=([0-9a-f-]{36})", answer.headers["Location"]).group(1)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'id="job-{job}"' in page  # the progress bar, polled
    runner.join_threads()
    with app.app_context():
        communes = db.session.scalar(select(func.count()).select_from(AdministrativeUnit)
                                     .where(AdministrativeUnit.level == UnitLevel.COMMUNE))
        assert communes > communes_before  # Cần Thơ's 2019 list, not only the fixture's
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "units.load"))
        added = sum(event.after["created"].values())
    page = " ".join(client.get("/admin/units").get_data(as_text=True).split())
    assert f"Đã thêm: {added}" in page
    # Loaded again: nothing more to add, every id kept.
    client.post_form("/admin/units/load")
    runner.join_threads()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AdministrativeUnit).where(
            AdministrativeUnit.level == UnitLevel.COMMUNE)) == communes


def test_the_admin_renames_a_hamlet_and_adds_one(app, client, users):
    client.login("admin")
    with app.app_context():
        hamlet, commune = unit("31117-01"), unit("31117")
    page = client.get(f"/admin/units?commune={commune.id}").get_data(as_text=True)
    assert "31117-01" in page and "31117-02" in page
    answer = client.post_form(f"/admin/units/hamlets/{hamlet.id}",
                              {"kind": "Khu vực", "name": "Khu vực 1 (Cái Khế A)"})
    assert answer.status_code == 302
    answer = client.post_form(f"/admin/units/communes/{commune.id}/hamlets",
                              {"kind": "Khu vực", "name": "Khu vực 3"})
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get(AdministrativeUnit, hamlet.id).name == "Khu vực 1 (Cái Khế A)"
        added = unit("31117-03")
        assert (added.name, added.level, added.parent_id) == ("Khu vực 3", UnitLevel.HAMLET,
                                                              commune.id)
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"unit.rename", "unit.create"} <= actions
    # A name left empty: refused, nothing changed.
    assert client.post_form(f"/admin/units/hamlets/{hamlet.id}",
                            {"kind": "Khu vực", "name": ""}).status_code == 400
