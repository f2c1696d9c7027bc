"""The 2025 tree: `seed-demo --scheme 2025` puts the wards straight under the province, and the
whole flow (the walk, the list, approval by the province's officer, its files, the dashboards)
works on it; the 2019 demo keeps its district."""

from __future__ import annotations

import io
import re

from helpers import HX, list_id_of, uuid_for
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.auth.models import User
from portal.campaigns.models import Campaign
from portal.demo import names
from portal.extensions import db
from portal.jobs import runner as jobs
from portal.jobs.models import Job, JobState
from portal.lists.compliance import compile_list
from portal.lists.models import ComplianceList, ComplianceReason, ListState
from portal.timeutil import today_local
from portal.units.models import AdministrativeUnit, UnitLevel

RESIDENTS = 1200


def _seed(runner, scheme: str, residents: int = RESIDENTS):
    result = runner.invoke(args=["seed-demo", "--residents", str(residents), "--seed", "7",
                                 "--scheme", scheme])
    assert result.exit_code == 0, result.output
    return result


def _accounts() -> dict[str, User]:
    return {u.username: u for u in db.session.scalars(select(User))}


def _levels() -> dict[UnitLevel, int]:
    return dict(db.session.execute(
        select(AdministrativeUnit.level, func.count()).group_by(AdministrativeUnit.level)).all())


def _figures(page: str, table: str) -> dict[str, list[str]]:
    """A table of figures on a page: each row's first cell, and the numbers after it."""
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL):
        cells = [re.sub(r"<[^>]+>", "", cell).strip()
                 for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_2025_demo_has_no_district_its_wards_lie_under_the_province(app, runner):
    _seed(runner, "2025")
    with app.app_context():
        levels = _levels()
        assert UnitLevel.DISTRICT not in levels
        assert levels[UnitLevel.PROVINCE] == 1 and levels[UnitLevel.COMMUNE] >= 3
        province = db.session.scalars(select(AdministrativeUnit).where(
            AdministrativeUnit.level == UnitLevel.PROVINCE)).one()
        assert (province.code, province.name) == ("92", "Thành phố Cần Thơ")
        communes = db.session.scalars(select(AdministrativeUnit).where(
            AdministrativeUnit.level == UnitLevel.COMMUNE)).all()
        assert {c.parent_id for c in communes} == {province.id}
        assert {c.depth for c in communes} == {1}
        assert {(c.name, c.code) for c in communes} == set(names.WARDS_2025[:len(communes)])
        accounts = _accounts()
        assert (accounts["screener"].unit.code, accounts["screener"].unit.name) == (
            "31120", "Phường Cái Khế")
        assert accounts["commune_lead"].unit_id == accounts["screener"].unit_id
        for username in ("district_officer", "clerk", "admin"):
            assert accounts[username].unit_id == province.id, username
        # The demo's approved list: approved by the province's officer.
        [approved] = db.session.scalars(select(ComplianceList)).all()
        assert approved.state is ListState.APPROVED
        assert approved.reviewed_by_id == accounts["district_officer"].id


def test_the_2025_wards_are_named_and_coded_as_the_official_list(app):
    from portal.units.load import official_units

    wards = {u.code: u.name for u in official_units("2025")
             if u.level is UnitLevel.COMMUNE and u.parent_code == "92"}
    for name, code in names.WARDS_2025:
        assert wards.get(code) == name, code
    copies = names.COPY_CODES_2025_FROM
    assert all(int(u.code) < copies for u in official_units("2025") if len(u.code) == 5)


def test_the_2019_demo_keeps_its_district(app, runner):
    _seed(runner, "2019", 600)
    with app.app_context():
        assert _levels()[UnitLevel.DISTRICT] == 1
        district = db.session.scalars(select(AdministrativeUnit).where(
            AdministrativeUnit.level == UnitLevel.DISTRICT)).one()
        assert (district.code, district.name) == ("916", "Quận Ninh Kiều")
        communes = db.session.scalars(select(AdministrativeUnit).where(
            AdministrativeUnit.level == UnitLevel.COMMUNE)).all()
        assert {c.parent_id for c in communes} == {district.id}
        accounts = _accounts()
        assert accounts["screener"].unit.code == "31117"
        assert accounts["district_officer"].unit_id == district.id
        assert accounts["clerk"].unit_id == district.id


def test_the_2025_tree_flow_end_to_end(app, runner, client):
    """The screener knocks, the lead sees it and submits, the province's officer approves,
    the clerk downloads the files, which name the province's department of health."""
    _seed(runner, "2025")
    with app.app_context():
        accounts = _accounts()
        screener, lead = accounts["screener"], accounts["commune_lead"]
        campaign = db.session.get(Campaign, screener.campaign_id)  # booster 1, as all start
        ward = lead.unit
        walked = {h.id for h in screener.hamlets}
        # Someone of the screener's hamlets nobody has visited yet for the campaign.
        person = next(e for e in compile_list(campaign, ward, today_local())
                      if e.reason is ComplianceReason.NOT_VISITED and e.hamlet.id in walked)
        resident_id, name = person.resident.id, person.resident.full_name
        hamlet_id, hamlet_name = person.hamlet.id, person.hamlet.name
        communes = sorted(c.name for c in db.session.scalars(select(AdministrativeUnit).where(
            AdministrativeUnit.level == UnitLevel.COMMUNE)))

    client.login("commune_lead")
    visited_before = int(_figures(client.get("/").get_data(as_text=True),
                                  "progress")[hamlet_name][1])
    reasons_before = _figures(client.get("/lists/preview").get_data(as_text=True), "by-reason")
    client.post_form("/logout")

    # The screener finds the person on the walk and records them not at home.
    client.login("screener")
    walk = client.get(f"/walk/{hamlet_id}").get_data(as_text=True)
    assert f"/residents/{resident_id}" in walk
    card = client.get(f"/residents/{resident_id}").get_data(as_text=True)
    saved = client.post_form(f"/residents/{resident_id}/visits",
                             {"outcome": "absent", "client_uuid": uuid_for(card, "absent")},
                             headers=HX)
    assert saved.status_code == 200 and "Đã lưu" in saved.get_data(as_text=True)
    client.post_form("/logout")

    # The lead's home counts the visit; the preview moves the person to "not at home".
    client.login("commune_lead")
    home = client.get("/").get_data(as_text=True)
    assert int(_figures(home, "progress")[hamlet_name][1]) == visited_before + 1
    preview = client.get("/lists/preview").get_data(as_text=True)
    reasons = _figures(preview, "by-reason")
    assert int(reasons["Vắng nhà"][0]) == int(reasons_before.get("Vắng nhà", ["0"])[0]) + 1
    assert int(reasons["Chưa được rà soát"][0]) == int(reasons_before["Chưa được rà soát"][0]) - 1
    assert "Gửi tỉnh, thành phố" in preview and "Gửi quận, huyện" not in preview
    submitted = client.post_form("/lists/submit", {"signer_title": "KT. Chủ tịch",
                                                   "signer_name": "Nguyễn Thanh Hải"})
    list_id = list_id_of(submitted)
    again = client.post_form("/lists/submit", {"signer_title": "KT. Chủ tịch"})
    assert again.status_code == 422
    assert "đang chờ tỉnh, thành phố xem xét" in again.get_data(as_text=True)
    client.post_form("/logout")
    with app.app_context():
        frozen = db.session.get(ComplianceList, list_id)
        assert frozen.state is ListState.SUBMITTED and frozen.commune_id == ward.id
        [row] = [r for r in frozen.rows if r.resident_id == resident_id]
        assert row.reason is ComplianceReason.ABSENT

    # The province's officer: the list waits on their home, beside every ward's coverage.
    client.login("district_officer")
    home = client.get("/").get_data(as_text=True)
    assert "Cán bộ Sở Y tế / CDC tỉnh" in home
    assert "Phê duyệt của tỉnh, thành phố" in home
    waiting = home.split('id="waiting"', 1)[1].split("</ul>", 1)[0]
    assert f'href="/lists/{list_id}"' in waiting and ward.name in waiting
    assert sorted(_figures(home, "coverage")) == communes
    # Coverage drills from the province straight to its wards, the home's figures.
    coverage = client.get("/coverage").get_data(as_text=True)
    below = coverage.split('id="below"', 1)[1].split("</tbody>", 1)[0]
    drilled = {}
    for row in re.findall(r"<tr data-unit[^>]*>(.*?)</tr>", below, re.DOTALL):
        cells = [re.sub(r"<[^>]+>", "", c).strip()
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
        drilled[cells[0]] = (cells[1], cells[-1])  # target, up to date
    shown = {name: (figures[0], figures[1]) for name, figures in _figures(home, "coverage").items()
             if figures[0] != "0"}
    assert drilled == shown and drilled
    for page in ("/reports/daily", "/supervision", f"/lists/{list_id}"):
        assert client.get(page).status_code == 200, page
    daily = client.get("/reports/daily.pdf")
    assert daily.status_code == 200 and daily.mimetype == "application/pdf"
    assert "Bộ Y tế" in _pdf_text(daily.data)
    assert client.post_form(f"/lists/{list_id}/approve", {}).status_code == 302
    client.post_form("/logout")
    with app.app_context():
        approved = db.session.get(ComplianceList, list_id)
        assert approved.state is ListState.APPROVED
        assert approved.reviewed_by_id == accounts["district_officer"].id
        job_id = db.session.scalar(select(Job.id).where(
            Job.subject_type == "list", Job.subject_id == list_id))
        assert jobs.wait(job_id).state is JobState.DONE

    # The clerk, at the province, downloads the approved list.
    client.login("clerk")
    assert f"/lists/{list_id}/download/pdf" in client.get(f"/lists/{list_id}").get_data(
        as_text=True)
    pdf = client.get(f"/lists/{list_id}/download/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    text = _pdf_text(pdf.data)
    for expected in ("PHƯỜNG CÁI KHẾ", "- UBND Thành phố Cần Thơ;",
                     "- Sở Y tế Thành phố Cần Thơ;", name, "Vắng nhà",
                     "bởi Phạm Minh Tuấn (Sở Y tế Thành phố Cần Thơ)"):
        assert expected in text, expected
    for wrong in ("Quận", "quận", "huyện", "None", "Trung tâm Y tế"):
        assert wrong not in text, wrong
    xlsx = client.get(f"/lists/{list_id}/download/xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).worksheets[0]
    cells = {cell for row in sheet.iter_rows(values_only=True) for cell in row}
    assert name in cells and "Vắng nhà" in cells


def test_a_list_the_province_returns_is_said_to_come_back_from_the_province(app, runner, client):
    _seed(runner, "2025", 600)
    client.login("commune_lead")
    list_id = list_id_of(client.post_form("/lists/submit", {"signer_title": "KT. Chủ tịch"}))
    client.post_form("/logout")
    client.login("district_officer")
    returned = client.post_form(f"/lists/{list_id}/return",
                                {"comment": "Rà soát lại Khu vực 2"})
    assert returned.status_code == 302
    client.post_form("/logout")
    client.login("commune_lead")
    home = client.get("/").get_data(as_text=True)
    assert "Tỉnh, thành phố đã trả lại danh sách" in home and "Rà soát lại Khu vực 2" in home
    assert "Cấp huyện" not in home
