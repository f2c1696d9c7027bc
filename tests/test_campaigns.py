"""Campaign management: admins list, create, change and close the campaigns of their area, each
change audited; the command line follows the same rules."""

from __future__ import annotations

import re

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.campaigns.active import deadline_of
from portal.campaigns.manage import (
    CampaignDetails, CampaignRejected, close_campaign, create_campaign,
    target_in_words, update_campaign,
)
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.lists.models import ComplianceList, ListState
from portal.residents.models import DoseKind, Sex
from portal.scope import in_scope
from portal.timeutil import today_local
from portal.units.models import UnitLevel, create_unit

from helpers import HX, field_error, horizontal_overflow, log_in, unit

TODAY = today_local()
START = TODAY
DEADLINE = TODAY + timedelta(days=30)


def _form(**overrides) -> dict:
    """A campaign as the new-campaign form sends it: 5 to under 12, dose 1, in the province."""
    data = {"name": "Tiêm mũi 1 cho trẻ từ 5 đến dưới 12 tuổi", "unit_code": "92",
            "description": "", "min_age": "5", "max_age": "12", "age_reference_date": "",
            "sex": "", "required_dose": "dose_1", "min_interval_days": "0",
            "starts_on": START.isoformat(), "deadline": DEADLINE.isoformat()}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _details(**overrides) -> CampaignDetails:
    values = {"name": "Tiêm mũi nhắc lại lần 2 cho nhóm nguy cơ", "unit_code": "92",
              "required_dose": "booster_2", "prior_doses": ["dose_1", "dose_2", "booster_1"],
              "min_age": 18, "risk_groups_only": True, "min_interval_days": 120,
              "starts_on": START, "deadline": DEADLINE}
    values.update(overrides)
    return CampaignDetails(**values)


def _count(app, model=Campaign) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _events(app, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action.like("campaign.%"))
        if action:
            query = query.where(AuditEvent.action == action)
        events = list(db.session.scalars(query.order_by(AuditEvent.id)))
        for event in events:
            db.session.expunge(event)
        return events


def _campaign(app, campaign_id: int) -> Campaign:
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        _ = campaign.unit.code
        db.session.expunge_all()
        return campaign


def _campaign_named(app, name: str) -> Campaign | None:
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.name == name))
        if campaign is not None:
            _ = campaign.unit.code
            db.session.expunge_all()
        return campaign


def gen_campaign(app, name: str = "Tiêm mũi 3 cho người từ 18 tuổi trở lên", unit_code="92",
                 **overrides) -> int:
    """A campaign added straight through the domain, as the command line would."""
    with app.app_context():
        campaign = create_campaign(None, _details(name=name, unit_code=unit_code, **overrides))
        db.session.commit()
        return campaign.id


def gen_approved_list(app, campaign_id: int, commune_code: str = "31117") -> None:
    """A compliance list of the campaign that the district has approved."""
    with app.app_context():
        db.session.add(ComplianceList(campaign_id=campaign_id, commune_id=unit(commune_code).id,
                                      state=ListState.APPROVED))
        db.session.commit()


def gen_admin(app, username: str, unit_code: str) -> None:
    """An admin account on another unit, with the demo's password."""
    with app.app_context():
        template = db.session.scalar(select(User).where(User.username == "admin"))
        db.session.add(User(username=username, full_name=f"Quản trị {unit_code}", role=Role.ADMIN,
                            password_hash=template.password_hash, unit=unit(unit_code)))
        db.session.commit()


@pytest.fixture
def hau_giang(app, users):
    """A second province, without districts (the 2025 scheme), its admin and its campaign."""
    with app.app_context():
        province = create_unit(code="93", name="Tỉnh Hậu Giang", kind="Tỉnh",
                               level=UnitLevel.PROVINCE, parent=None)
        create_unit(code="31321", name="Phường Vị Tân", kind="Phường", level=UnitLevel.COMMUNE,
                    parent=province)
        db.session.commit()
    gen_admin(app, "admin.haugiang", "93")
    return gen_campaign(app, "Tiêm mũi 3 tại Hậu Giang", unit_code="93")


# --- creating -----------------------------------------------------------------------------------


def test_admin_creates_a_campaign_and_sees_it_listed_with_its_target_in_words(app, client, users):
    client.login("admin")
    page = client.get("/campaigns/new").get_data(as_text=True)
    assert '<option selected value="92">Thành phố Cần Thơ</option>' in page
    assert '<optgroup label="Quận Ninh Kiều">' in page and "Phường Cái Khế" in page
    assert "Khu vực 1" not in page  # hamlets run no campaign
    answer = client.post_form("/campaigns/new", _form(description="Trường học và trạm y tế."))
    assert answer.status_code == 302 and answer.headers["Location"] == "/campaigns"
    campaign = _campaign_named(app, "Tiêm mũi 1 cho trẻ từ 5 đến dưới 12 tuổi")
    assert (campaign.unit.code, campaign.required_dose, campaign.min_age, campaign.max_age) == (
        "92", DoseKind.DOSE_1, 5, 12)
    assert campaign.age_reference_date == START  # empty: ages are counted on the start date
    assert campaign.description == "Trường học và trạm y tế." and campaign.is_open
    listing = client.get("/campaigns").get_data(as_text=True)
    assert "Đã tạo đợt tiêm “Tiêm mũi 1 cho trẻ từ 5 đến dưới 12 tuổi”." in listing
    assert "5 đến dưới 12 tuổi" in listing and "Mũi 1" in listing
    assert DEADLINE.strftime("%d/%m/%Y") in listing and "còn 30 ngày" in listing

    [event] = _events(app, "campaign.create")
    assert event.object_id == str(campaign.id) and event.before is None
    assert event.after["name"] == campaign.name and event.after["unit"] == "92"
    assert event.after["max_age"] == 12 and event.after["deadline"] == DEADLINE.isoformat()


def test_the_campaign_list_says_who_in_words_and_marks_an_overdue_deadline(app, client, world):
    gen_campaign(app, "Tiêm mũi 4 cho phụ nữ có thai", sex="female", min_age=18,
                 max_age=50)
    client.login("admin")
    listing = client.get("/campaigns").get_data(as_text=True)
    assert "18 tuổi trở lên" in listing  # the fixture's campaign, deadline 31/08/2022
    assert re.search(r'<span class="badge overdue">quá hạn \d+ ngày</span>', listing)
    assert "18 đến dưới 50 tuổi, nhóm nguy cơ, nữ" in listing
    assert "sau Mũi 1, Mũi 2, Mũi nhắc lại lần 1 (mũi 3)" in listing


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": "  "}, "name", "Vui lòng nhập tên đợt tiêm."),
    ({"name": "x" * 201}, "name", "Tối đa 200 ký tự."),
    ({"min_age": "12", "max_age": "5"}, "max_age", "Tuổi trên phải lớn hơn tuổi dưới"),
    ({"min_age": "12", "max_age": "12"}, "max_age", "Tuổi trên phải lớn hơn tuổi dưới"),
    ({"min_age": "-1"}, "min_age", "Tuổi phải từ 0 đến 120."),
    ({"min_age": ""}, "min_age", "Vui lòng nhập độ tuổi thấp nhất"),
    ({"max_age": "130"}, "max_age", "Tuổi phải từ 0 đến 120."),
    ({"min_age": "năm"}, "min_age", "Vui lòng nhập một số nguyên."),
    ({"deadline": (START - timedelta(days=1)).isoformat()}, "deadline",
     "Hạn hoàn thành không được trước ngày bắt đầu."),
    ({"deadline": ""}, "deadline", "Vui lòng nhập hạn hoàn thành."),
    ({"starts_on": ""}, "starts_on", "Vui lòng nhập ngày bắt đầu."),
    ({"starts_on": "31/02/2022"}, "starts_on", "Vui lòng nhập một ngày hợp lệ."),
    ({"unit_code": "31117-01"}, "unit_code", "Đợt tiêm do tỉnh, huyện hoặc xã triển khai"),
    ({"unit_code": "99999"}, "unit_code", "Không có đơn vị hành chính nào mang mã này."),
    ({"unit_code": ""}, "unit_code", "Vui lòng chọn đơn vị triển khai."),
    ({"required_dose": "dose_9"}, "required_dose", "Vui lòng chọn mũi tiêm cần hoàn thành."),
    ({"required_dose": "booster_1", "prior_doses": ["dose_1", "booster_2"]}, "prior_doses",
     "Chỉ có thể yêu cầu tiêm trước các mũi đứng trước Mũi nhắc lại lần 1 (mũi 3)."),
    ({"prior_doses": ["dose_1"]}, "prior_doses", "Chỉ có thể yêu cầu tiêm trước các mũi đứng"),
    ({"min_interval_days": "-1"}, "min_interval_days", "Từ 0 đến 1095 ngày."),
    ({"min_interval_days": "4000"}, "min_interval_days", "Từ 0 đến 1095 ngày."),
    ({"sex": "other"}, "sex", "Vui lòng chọn nam, nữ hoặc cả nam và nữ."),
])
def test_bad_input_answers_422_with_its_message_beside_the_field_and_creates_nothing(
    app, client, users, overrides, field, message
):
    client.login("admin")
    before = _count(app)
    answer = client.post_form("/campaigns/new", _form(**overrides), headers=HX)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in field_error(html, field), html
    assert "<html" not in html  # only the form comes back, to swap in place
    assert _count(app) == before
    assert _events(app) == []


def test_every_problem_is_told_at_once(app, client, users):
    client.login("admin")
    answer = client.post_form("/campaigns/new", _form(name="", min_age="12", max_age="5",
                                                      deadline=(START - timedelta(1)).isoformat()))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert all(field_error(html, f) for f in ("name", "max_age", "deadline"))


def test_a_name_is_unique_in_its_unit_ignoring_case_and_accents(app, client, users):
    gen_campaign(app, "Tiêm mũi 3 cho người từ 18 tuổi trở lên")
    client.login("admin")
    for name in ("Tiêm mũi 3 cho người từ 18 tuổi trở lên", "TIÊM MŨI 3 cho người từ 18 tuổi trở lên",
                 "tiem mui 3  cho nguoi tu 18 tuoi tro len"):
        answer = client.post_form("/campaigns/new", _form(name=name))
        assert answer.status_code == 422, name
        assert "Đơn vị này đã có đợt tiêm mang tên này." in field_error(
            answer.get_data(as_text=True), "name")
    assert _count(app) == 1
    # The same name in another unit is another campaign.
    answer = client.post_form("/campaigns/new", _form(name="Tiêm mũi 3 cho người từ 18 tuổi trở lên",
                                                      unit_code="916"))
    assert answer.status_code == 302
    assert _count(app) == 2


def test_a_unit_outside_the_admins_area_is_refused(app, client, users, hau_giang):
    gen_admin(app, "admin.ninhkieu", "916")
    client.login("admin.ninhkieu")
    page = client.get("/campaigns/new").get_data(as_text=True)
    assert "Phường Cái Khế" in page and "Phường Bình Thủy" not in page
    for code in ("918", "31183", "92", "93"):
        answer = client.post_form("/campaigns/new", _form(unit_code=code))
        assert answer.status_code == 422, code
        assert "Đơn vị này nằm ngoài địa bàn của bạn." in field_error(
            answer.get_data(as_text=True), "unit_code")
    assert _count(app) == 1  # Hậu Giang's own
    assert client.post_form("/campaigns/new", _form(unit_code="31117")).status_code == 302


def test_an_htmx_create_answers_with_the_page_to_load(app, client, users):
    client.login("admin")
    answer = client.post_form("/campaigns/new", _form(), headers=HX)
    assert answer.status_code == 200
    assert answer.headers["HX-Location"] == "/campaigns"


# --- scope --------------------------------------------------------------------------------------


def test_an_admin_of_another_province_neither_sees_nor_changes_nor_closes_the_campaign(
    app, client, users, hau_giang
):
    ours = gen_campaign(app, "Tiêm mũi 3 tại Cần Thơ")
    client.login("admin.haugiang")
    listing = client.get("/campaigns").get_data(as_text=True)
    assert "Tiêm mũi 3 tại Hậu Giang" in listing and "Tiêm mũi 3 tại Cần Thơ" not in listing
    assert client.get(f"/campaigns/{ours}/edit").status_code == 404
    assert client.post_form(f"/campaigns/{ours}/edit", _form(name="Đổi tên")).status_code == 404
    assert client.post_form(f"/campaigns/{ours}/close").status_code == 404
    assert _campaign(app, ours).name == "Tiêm mũi 3 tại Cần Thơ"
    assert _campaign(app, ours).is_open
    # And the other way round.
    can_tho = app.test_client()
    can_tho.login("admin")
    listing = can_tho.get("/campaigns").get_data(as_text=True)
    assert "Tiêm mũi 3 tại Cần Thơ" in listing and "Tiêm mũi 3 tại Hậu Giang" not in listing
    assert can_tho.get(f"/campaigns/{hau_giang}/edit").status_code == 404


def test_the_rules_hold_without_a_request_and_add_nothing(app, users):
    with app.app_context():
        with pytest.raises(CampaignRejected) as refused:
            create_campaign(None, _details(name="", unit_code="31117-01", min_age=30, max_age=20,
                                           prior_doses=["booster_2"], min_interval_days=None,
                                           deadline=START - timedelta(days=1)))
        assert set(refused.value.errors) == {"name", "unit_code", "max_age", "prior_doses",
                                             "min_interval_days", "deadline"}
        assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0
        # The command line (no actor) may give a campaign to any unit, a commune as well.
        assert create_campaign(None, _details(unit_code="31183")).unit.code == "31183"


def test_the_domain_refuses_an_actor_outside_the_scope_without_a_request(app, users, hau_giang):
    with app.app_context():
        campaign = db.session.get(Campaign, hau_giang)
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        district_officer = db.session.scalar(select(User).where(User.username == "district_officer"))
        with pytest.raises(PermissionError):
            update_campaign(admin, campaign, _details(name="Đổi tên", unit_code="93"))
        with pytest.raises(PermissionError):
            close_campaign(admin, campaign)
        with pytest.raises(PermissionError):
            create_campaign(district_officer, _details(unit_code="916"))
        assert campaign.is_open


# --- changing -----------------------------------------------------------------------------------


def test_a_change_is_audited_field_by_field_before_and_after(app, client, users):
    campaign_id = gen_campaign(app)
    client.login("admin")
    page = client.get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)
    assert 'value="Tiêm mũi 3 cho người từ 18 tuổi trở lên"' in page
    assert '<input checked id="prior_doses-3" name="prior_doses" type="checkbox" value="booster_1">' in page
    answer = client.post_form(f"/campaigns/{campaign_id}/edit", _form(
        name="Tiêm mũi 4 cho nhóm nguy cơ", required_dose="booster_2",
        prior_doses=["dose_1", "dose_2", "booster_1"], min_age="18", max_age="",
        risk_groups_only="y", min_interval_days="150", deadline=(DEADLINE + timedelta(10)).isoformat()))
    assert answer.status_code == 302 and answer.headers["Location"] == "/campaigns"
    campaign = _campaign(app, campaign_id)
    assert (campaign.name, campaign.min_interval_days) == ("Tiêm mũi 4 cho nhóm nguy cơ", 150)
    [event] = _events(app, "campaign.update")
    assert event.before == {"name": "Tiêm mũi 3 cho người từ 18 tuổi trở lên",
                            "min_interval_days": 120, "deadline": DEADLINE.isoformat()}
    assert event.after == {"name": "Tiêm mũi 4 cho nhóm nguy cơ", "min_interval_days": 150,
                           "deadline": (DEADLINE + timedelta(10)).isoformat()}
    assert "Đã lưu thay đổi." in client.get("/campaigns").get_data(as_text=True)


def test_saving_without_a_change_records_nothing(app, users):
    campaign_id = gen_campaign(app)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert update_campaign(None, campaign, CampaignDetails.of(campaign)) is False
    assert _events(app, "campaign.update") == []


def test_a_bad_change_answers_422_and_changes_nothing(app, client, users):
    campaign_id = gen_campaign(app)
    client.login("admin")
    answer = client.post_form(f"/campaigns/{campaign_id}/edit", _form(
        name="Đổi tên", min_age="20", max_age="10"), headers=HX)
    assert answer.status_code == 422
    assert "Tuổi trên phải lớn hơn tuổi dưới" in field_error(answer.get_data(as_text=True), "max_age")
    assert _campaign(app, campaign_id).name == "Tiêm mũi 3 cho người từ 18 tuổi trở lên"
    assert _events(app, "campaign.update") == []


def test_keeping_its_own_name_is_no_duplicate(app, client, users):
    campaign_id = gen_campaign(app)
    client.login("admin")
    answer = client.post_form(f"/campaigns/{campaign_id}/edit", _form(
        name="tiêm mũi 3 cho người từ 18 tuổi trở lên", required_dose="booster_2"))
    assert answer.status_code == 302


# --- approved lists -----------------------------------------------------------------------------


def test_with_an_approved_list_only_the_description_and_deadline_may_change(app, client, users):
    campaign_id = gen_campaign(app)
    gen_approved_list(app, campaign_id)
    client.login("admin")
    page = client.get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)
    assert "chỉ có thể sửa mô tả và hạn hoàn thành" in page
    assert 'disabled id="name"' in page and '<input id="deadline"' in page
    # What the page sends: the locked fields as they are (hidden copies), the others as typed.
    same = {"name": "Tiêm mũi 3 cho người từ 18 tuổi trở lên", "required_dose": "booster_2",
            "prior_doses": ["dose_1", "dose_2", "booster_1"], "min_age": "18", "max_age": "",
            "risk_groups_only": "y", "min_interval_days": "120",
            "age_reference_date": START.isoformat()}
    for key, value in same.items():
        for one in value if isinstance(value, list) else [value]:
            assert f'<input type="hidden" name="{key}" value="{one}">' in page, key
    for changed in ({"name": "Tên khác"}, {"min_age": "12"}, {"unit_code": "916"},
                    {"risk_groups_only": None}, {"starts_on": (START + timedelta(1)).isoformat()}):
        data = {**_form(**same), **changed}
        data = {key: value for key, value in data.items() if value is not None}
        answer = client.post_form(f"/campaigns/{campaign_id}/edit", data, headers=HX)
        assert answer.status_code == 422, changed
        html = answer.get_data(as_text=True)
        [field] = changed
        assert "không thể thay đổi mục này nữa" in field_error(html, field), changed
    assert _campaign(app, campaign_id).name == "Tiêm mũi 3 cho người từ 18 tuổi trở lên"
    assert _events(app, "campaign.update") == []

    later = DEADLINE + timedelta(days=15)
    answer = client.post_form(f"/campaigns/{campaign_id}/edit", _form(
        **same, description="Gia hạn thêm 15 ngày.", deadline=later.isoformat()))
    assert answer.status_code == 302
    campaign = _campaign(app, campaign_id)
    assert (campaign.deadline, campaign.description) == (later, "Gia hạn thêm 15 ngày.")
    [event] = _events(app, "campaign.update")
    assert event.after == {"description": "Gia hạn thêm 15 ngày.", "deadline": later.isoformat()}

    assert client.post_form(f"/campaigns/{campaign_id}/close").status_code == 302
    assert not _campaign(app, campaign_id).is_open


def test_lists_not_yet_approved_do_not_lock_the_campaign(app, users):
    campaign_id = gen_campaign(app)
    with app.app_context():
        db.session.add(ComplianceList(campaign_id=campaign_id, commune_id=unit("31117").id,
                                      state=ListState.RETURNED))
        db.session.commit()
        campaign = db.session.get(Campaign, campaign_id)
        assert update_campaign(None, campaign, _details(name="Tên mới")) is True


# --- closing ------------------------------------------------------------------------------------


def test_closing_asks_first_then_takes_the_campaign_out_of_the_open_ones(app, client, users):
    campaign_id = gen_campaign(app)
    client.login("admin")
    page = client.get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)
    assert '<details class="confirm">' in page and "Đồng ý kết thúc" in page
    assert f'action="/campaigns/{campaign_id}/close"' in page
    answer = client.post_form(f"/campaigns/{campaign_id}/close")
    assert answer.status_code == 302 and answer.headers["Location"] == "/campaigns"
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        assert db.session.scalar(in_scope(admin, Campaign).where(Campaign.is_open)) is None
        assert db.session.get(Campaign, campaign_id).closed_by_id == admin.id
    [event] = _events(app, "campaign.close")
    assert (event.before, event.after) == ({"is_open": True}, {"is_open": False})
    listing = client.get("/campaigns").get_data(as_text=True)
    assert "Đã kết thúc đợt tiêm" in listing
    closed = listing.split('id="closed-campaigns"', 1)[1]
    assert "Tiêm mũi 3 cho người từ 18 tuổi trở lên" in closed
    assert TODAY.strftime("%d/%m/%Y") in closed and "còn" not in closed


def test_a_closed_campaign_cannot_be_closed_again_nor_changed(app, client, users):
    campaign_id = gen_campaign(app)
    client.login("admin")
    client.post_form(f"/campaigns/{campaign_id}/close")
    again = client.post_form(f"/campaigns/{campaign_id}/close")
    assert again.status_code == 422
    assert f"Đợt tiêm này đã kết thúc ngày {TODAY:%d/%m/%Y}." in again.get_data(as_text=True)
    page = client.get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)
    assert "không thể thay đổi đợt tiêm nữa" in page and "Lưu thay đổi" not in page
    answer = client.post_form(f"/campaigns/{campaign_id}/edit", _form(description="Sửa lại"))
    assert answer.status_code == 422
    assert "Đợt tiêm đã kết thúc: không thể thay đổi nữa." in answer.get_data(as_text=True)
    assert _campaign(app, campaign_id).description is None
    assert len(_events(app)) == 2  # created, closed


# --- in words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("min_age", "max_age", "risk", "sex", "words"), [
    (18, None, False, None, "18 tuổi trở lên"),
    (5, 12, False, None, "5 đến dưới 12 tuổi"),
    (0, 5, False, None, "dưới 5 tuổi"),
    (0, None, False, None, "mọi lứa tuổi"),
    (18, None, True, None, "18 tuổi trở lên, nhóm nguy cơ"),
    (15, 50, False, Sex.FEMALE, "15 đến dưới 50 tuổi, nữ"),
])
def test_the_target_in_words(app, min_age, max_age, risk, sex, words):
    campaign = Campaign(min_age=min_age, max_age=max_age, risk_groups_only=risk, sex=sex)
    with app.test_request_context():
        assert target_in_words(campaign) == words


def test_days_left_until_the_deadline(app):
    campaign = Campaign(deadline=date(2022, 8, 31))
    with app.test_request_context():
        assert str(deadline_of(campaign, date(2022, 8, 1))) == "còn 30 ngày"
        assert str(deadline_of(campaign, date(2022, 8, 30))) == "còn 1 ngày"
        assert str(deadline_of(campaign, date(2022, 8, 31))) == "hết hạn hôm nay"
        assert deadline_of(campaign, date(2022, 9, 1)).overdue


def test_the_audit_trail_names_the_campaign_actions(app, client, users):
    campaign_id = gen_campaign(app)
    client.login("admin")
    client.post_form(f"/campaigns/{campaign_id}/close")
    trail = client.get("/audit").get_data(as_text=True)
    assert "Tạo đợt tiêm" in trail and "Kết thúc đợt tiêm" in trail


def test_the_audit_trail_shows_a_change_as_the_form_names_it(app, client, users):
    campaign_id = gen_campaign(app, "Tiêm mũi 1 cho trẻ từ 5 đến dưới 12 tuổi",
                               required_dose="dose_1", prior_doses=[], min_age=5, max_age=12,
                               risk_groups_only=False, min_interval_days=0)
    client.login("admin")
    later = DEADLINE + timedelta(10)
    client.post_form(f"/campaigns/{campaign_id}/edit", _form(
        required_dose="booster_2", prior_doses=["dose_1", "dose_2", "booster_1"],
        risk_groups_only="y", deadline=later.isoformat()))
    trail = client.get("/audit?action=campaign.update").get_data(as_text=True)
    rows = [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]
            for row in re.findall(r"<tr><td>.*?</tr>", trail)]
    assert ["Hạn hoàn thành", DEADLINE.strftime("%d/%m/%Y"), later.strftime("%d/%m/%Y")] in rows
    assert ["Chỉ người thuộc nhóm nguy cơ", "không", "có"] in rows
    assert any(row[0] == "Mũi tiêm cần hoàn thành" and row[1:] == ["Mũi 1", "Mũi nhắc lại lần 2 (mũi 4)"]
               for row in rows), rows
    assert "booster_2" not in trail and DEADLINE.isoformat() not in trail


def test_the_admins_home_page_links_to_the_campaigns(client, users):
    client.login("admin")
    assert 'href="/campaigns"' in client.get("/").get_data(as_text=True)


# --- the command line ---------------------------------------------------------------------------


def test_cli_creates_lists_and_closes_a_campaign(app, runner, units):
    result = runner.invoke(args=[
        "campaigns", "create", "--name", "Tiêm mũi 1 cho trẻ từ 5 đến dưới 12 tuổi",
        "--unit", "916", "--dose", "dose_1", "--min-age", "5", "--max-age", "12",
        "--starts-on", "01/06/2022", "--deadline", "2022-08-31"])
    assert result.exit_code == 0, result.output
    campaign = _campaign_named(app, "Tiêm mũi 1 cho trẻ từ 5 đến dưới 12 tuổi")
    assert (campaign.unit.code, campaign.starts_on, campaign.deadline) == (
        "916", date(2022, 6, 1), date(2022, 8, 31))
    assert campaign.age_reference_date == date(2022, 6, 1) and campaign.created_by_id is None
    assert f"Created campaign {campaign.id}" in result.output
    [event] = _events(app, "campaign.create")
    assert event.user_id is None and event.after["unit"] == "916"

    listing = runner.invoke(args=["campaigns", "list"]).output
    assert listing.split("\t") == [
        str(campaign.id), "Tiêm mũi 1 cho trẻ từ 5 đến dưới 12 tuổi", "916 Quận Ninh Kiều",
        "Dose 1", "5 to under 12 years", "01/06/2022-31/08/2022", "open\n"]

    result = runner.invoke(args=["campaigns", "close", str(campaign.id)])
    assert result.exit_code == 0, result.output
    assert not _campaign(app, campaign.id).is_open
    assert "closed " in runner.invoke(args=["campaigns", "list"]).output
    again = runner.invoke(args=["campaigns", "close", str(campaign.id)])
    assert again.exit_code != 0
    assert "Đợt tiêm này đã kết thúc ngày" in again.output and "already closed" in again.output


@pytest.mark.parametrize(("args", "vietnamese", "english"), [
    (["--deadline", "01/05/2022"], "--deadline: Hạn hoàn thành không được trước ngày bắt đầu.",
     "The deadline cannot come before the start."),
    (["--unit", "31117-01"], "--unit: Đợt tiêm do tỉnh, huyện hoặc xã triển khai",
     "not a hamlet"),
    (["--max-age", "3"], "--max-age: Tuổi trên phải lớn hơn tuổi dưới", "above the lower age"),
    (["--dose", "dose_3"], "--dose: Vui lòng chọn mũi tiêm", "Choose the dose"),
    (["--name", "TIEM MUI 3"], "--name: Đơn vị này đã có đợt tiêm mang tên này.",
     "already has a campaign of this name"),
    (["--starts-on", "32/01/2022"], "không phải là ngày", "is not a date"),
])
def test_cli_refuses_what_the_screen_refuses_in_both_languages(
    app, runner, units, args, vietnamese, english
):
    gen_campaign(app, "Tiêm mũi 3", unit_code="92")
    base = {"--name": "Tiêm mũi 3 đợt 2", "--unit": "92", "--dose": "booster_1",
            "--min-age": "18", "--starts-on": "01/06/2022", "--deadline": "31/08/2022"}
    base.update(dict(zip(args[::2], args[1::2])))
    result = runner.invoke(args=["campaigns", "create", *[x for kv in base.items() for x in kv]])
    assert result.exit_code != 0
    assert vietnamese in result.output and english in result.output, result.output
    assert _count(app) == 1
    assert len(_events(app)) == 1


def test_cli_close_of_a_missing_campaign_says_so(runner, units):
    result = runner.invoke(args=["campaigns", "close", "987654"])
    assert result.exit_code != 0
    assert "Không có đợt tiêm nào mang số 987654." in result.output


# --- in a browser -------------------------------------------------------------------------------


def test_admin_creates_a_campaign_on_a_phone_without_sideways_scrolling(phone, live_server, users):
    log_in(phone, live_server, "admin", touch=True, home=True)
    phone.tap("a[href='/campaigns']")
    phone.wait_for_url(f"{live_server}/campaigns")
    phone.tap("a[href='/campaigns/new']")
    phone.wait_for_url(f"{live_server}/campaigns/new")
    assert horizontal_overflow(phone) <= 0
    phone.fill("#name", "Tiêm mũi 1 cho trẻ từ 5 đến dưới 12 tuổi")
    phone.select_option("#unit_code", "916")
    phone.fill("#min_age", "5")
    phone.fill("#max_age", "12")
    phone.select_option("#required_dose", "dose_1")
    phone.fill("#deadline", DEADLINE.isoformat())
    phone.screenshot(path="/tmp/campaigns-new-360.png", full_page=True)
    phone.tap("button[type=submit].primary")
    phone.wait_for_url(f"{live_server}/campaigns")
    card = phone.locator("#open-campaigns .campaign-card").first
    assert "Tiêm mũi 1 cho trẻ từ 5 đến dưới 12 tuổi" in card.inner_text()
    assert "5 đến dưới 12 tuổi" in card.inner_text() and "Quận Ninh Kiều" in card.inner_text()
    assert horizontal_overflow(phone) <= 0
    phone.screenshot(path="/tmp/campaigns-360.png", full_page=True)


def test_admin_extends_the_deadline_of_an_approved_campaign_on_a_phone(
    app, phone, live_server, users
):
    campaign_id = gen_campaign(app)
    gen_approved_list(app, campaign_id)
    log_in(phone, live_server, "admin", touch=True, home=True)
    phone.goto(f"{live_server}/campaigns/{campaign_id}/edit")
    assert phone.locator("#name").is_disabled() and not phone.locator("#deadline").is_disabled()
    later = DEADLINE + timedelta(days=7)
    phone.fill("#deadline", later.isoformat())
    assert horizontal_overflow(phone) <= 0
    phone.screenshot(path="/tmp/campaigns-edit-360.png", full_page=True)
    phone.tap("button[type=submit].primary")
    phone.wait_for_url(f"{live_server}/campaigns")
    assert "Đã lưu thay đổi." in phone.locator("main").inner_text()
    assert _campaign(app, campaign_id).deadline == later
    # Closing is two taps: open the confirmation, then confirm.
    phone.goto(f"{live_server}/campaigns/{campaign_id}/edit")
    phone.tap("details.confirm summary")
    phone.tap("details.confirm button.danger")
    phone.wait_for_url(f"{live_server}/campaigns")
    assert not _campaign(app, campaign_id).is_open


def test_a_name_taken_meanwhile_by_another_admin_is_refused_beside_the_name(app, units, users):
    """Two admins saving at once both pass the name check; the database's constraint stops the
    second, which is told so beside the name, and nothing half-saved stays. The other admin
    is a second connection that saves the same name right after this one looked."""
    from sqlalchemy import event, insert

    from portal.auth.models import User as Account

    with app.app_context():
        admin = db.session.scalar(select(Account).where(Account.username == "admin"))
        province = unit("92")
        details = CampaignDetails(
            name="Tiêm mũi 3", unit_code="92", required_dose="booster_1",
            starts_on=date(2022, 7, 8), deadline=date(2022, 8, 31))
        engine = db.engine
        raced = []

        def other_admin_saves(conn, cursor, statement, parameters, context, executemany):
            if raced or "FROM campaigns" not in statement or "INSERT" in statement:
                return
            raced.append(True)
            with engine.connect() as other:
                other.execute(insert(Campaign.__table__).values(
                    name="Tiêm mũi 3", unit_id=province.id, required_dose="booster_1",
                    prior_doses=[], min_age=18, risk_groups_only=False, min_interval_days=0,
                    age_reference_date=date(2022, 7, 8), starts_on=date(2022, 7, 8),
                    deadline=date(2022, 8, 31), created_at=date(2022, 7, 1),
                    updated_at=date(2022, 7, 1)))
                other.commit()

        event.listen(engine, "after_cursor_execute", other_admin_saves)
        try:
            with pytest.raises(CampaignRejected) as refused:
                create_campaign(admin, details)
        finally:
            event.remove(engine, "after_cursor_execute", other_admin_saves)
        assert raced
        assert str(refused.value.errors["name"][0]) == "Đơn vị này đã có đợt tiêm mang tên này."
        db.session.commit()  # what is left of this admin's transaction: nothing
        assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1
        assert not db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "campaign.create")).all()
