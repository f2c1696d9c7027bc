"""A commune's lists are per campaign, and a closed campaign's lists stay found, read and filed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.jobs import runner
from portal.jobs.models import JobState
from portal.lists import files
from portal.lists.models import ComplianceList, ListFile
from portal.lists.workflow import approve, submit
from portal.timeutil import utcnow

from helpers import gen_childrens_campaign, unit

TODAY = date(2022, 7, 15)


def _user(name) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _approved(campaign: Campaign) -> ComplianceList:
    compliance_list = submit(_user("commune_lead"), campaign, unit("31117"), TODAY)
    approve(_user("district_officer"), compliance_list)
    db.session.commit()
    return compliance_list


def _render_files(compliance_list: ComplianceList) -> None:
    job = files.prepare(compliance_list, _user("district_officer"))
    db.session.commit()
    assert runner.wait(job.id).state is JobState.DONE


@pytest.fixture
def closed(app, world):
    """Cái Khế's approved booster list with its files, the booster campaign then closed; and
    the approved list of a children's campaign still open. Returns the two lists' and
    campaigns' ids."""
    with app.app_context():
        booster = db.session.get(Campaign, world["campaign"])
        children = gen_childrens_campaign(booster.unit_id)
        db.session.commit()
        booster_list = _approved(booster)
        _render_files(booster_list)
        children_list = _approved(children)
        booster.closed_at = utcnow()
        db.session.commit()
        assert not booster.is_open and children.is_open
        return {"booster": booster.id, "booster_list": booster_list.id,
                "children": children.id, "children_list": children_list.id}


def test_the_lists_of_each_campaign_are_apart_and_a_closed_ones_still_listed(app, client, closed):
    client.login("clerk")
    everything = client.get("/lists").get_data(as_text=True)
    assert f'href="/lists/{closed["booster_list"]}"' in everything
    assert f'href="/lists/{closed["children_list"]}"' in everything
    # The closed campaign is offered in the filter, and filters its own lists only.
    assert f'value="{closed["booster"]}"' in everything
    booster = client.get(f"/lists?campaign={closed['booster']}").get_data(as_text=True)
    assert f'href="/lists/{closed["booster_list"]}"' in booster
    assert f'href="/lists/{closed["children_list"]}"' not in booster
    assert f'/lists/{closed["booster_list"]}/download/pdf' in booster
    children = client.get(f"/lists?campaign={closed['children']}").get_data(as_text=True)
    assert f'href="/lists/{closed["children_list"]}"' in children
    assert f'href="/lists/{closed["booster_list"]}"' not in children


def test_a_closed_campaigns_approved_list_is_still_read_and_downloaded(app, client, closed):
    with app.app_context():
        stored = {f.format: f.sha256 for f in db.session.scalars(
            select(ListFile).where(ListFile.list_id == closed["booster_list"]))}
    client.login("clerk")
    page = client.get(f"/lists/{closed['booster_list']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nguyễn Văn Đức" in html and "Tiêm mũi nhắc lại lần 1" in html
    for file_format in ("pdf", "xlsx", "csv"):
        download = client.get(f"/lists/{closed['booster_list']}/download/{file_format}")
        assert download.status_code == 200, file_format
        assert download.headers["ETag"] == f'"{stored[file_format]}"'  # the bytes approved


def test_the_files_of_a_closed_campaigns_list_are_still_made_on_request(app, client, closed):
    # The children's list was approved without its files; its campaign closes before anyone
    # asks for them.
    with app.app_context():
        db.session.get(Campaign, closed["children"]).closed_at = utcnow()
        db.session.commit()
        assert not files.stored_files(db.session.get(ComplianceList, closed["children_list"]))
    client.login("clerk")
    assert client.post_form(f"/lists/{closed['children_list']}/files", {}).status_code == 302
    runner.join_threads()
    download = client.get(f"/lists/{closed['children_list']}/download/csv")
    assert download.status_code == 200
    assert "Trần Ngọc Bảo Anh" in download.data.decode("utf-8-sig")
