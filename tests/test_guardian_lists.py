"""A minor's guardian on the screens, frozen into a children's list and printed in its files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select

from portal.auth.models import User
from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.lists.document import document_of
from portal.lists.pdf import render_pdf
from portal.lists.spreadsheets import COLUMNS, csv_bytes
from portal.lists.workflow import approve, submit
from portal.residents.models import Household, Resident

from helpers import HX, gen_childrens_campaign, unit, uuid_for

TODAY = date(2022, 7, 15)
# The screens judge a minor on today's date: they are looked at during the campaign, whatever
# year the suite runs in.
DURING_THE_CAMPAIGN = time_machine.travel(datetime(2022, 7, 15, 3, tzinfo=UTC), tick=True)
GUARDIAN = ("Trần Văn Nam", "0387654321")  # Bảo Anh's father, the head of HGĐ-0002


def _user(name) -> User:
    return db.session.scalar(select(User).where(User.username == name))


@pytest.fixture
def children(app, world):
    """world, with the children's dose-1 campaign the only open one, and HGĐ-0002 (Trần Văn
    Nam and his daughter Bảo Anh, 7) answered for by him. Returns world's ids and "children"."""
    with app.app_context():
        booster = db.session.get(Campaign, world["campaign"])
        booster.closed_at = datetime(2022, 7, 1)
        campaign = gen_childrens_campaign(booster.unit_id)
        household = db.session.get(Resident, world["be"]).household
        household.guardian_name, household.guardian_phone = GUARDIAN
        db.session.commit()
        return {**world, "children": campaign.id}


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _csv(document) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_bytes(document).decode("utf-8-sig"))))


# --- the screens -------------------------------------------------------------------------


@DURING_THE_CAMPAIGN
def test_the_card_of_a_minor_shows_the_households_guardian(app, client, children):
    client.login("screener")
    page = client.get(f"/residents/{children['be']}").get_data(as_text=True)
    guardian = page.split('class="facts guardian"', 1)[1].split("</dl>", 1)[0]
    assert "Cha, mẹ hoặc người giám hộ" in guardian
    assert "Trần Văn Nam" in guardian and 'href="tel:0387654321"' in guardian


@DURING_THE_CAMPAIGN
def test_the_card_of_an_adult_shows_no_guardian(app, client, children):
    client.login("screener")
    # Trần Văn Nam lives in the same household, which has a guardian: not his, he is 32.
    page = client.get(f"/residents/{children['nam']}").get_data(as_text=True)
    assert "facts guardian" not in page and "người giám hộ" not in page


@DURING_THE_CAMPAIGN
def test_the_follow_up_list_gives_a_minors_guardian_to_call(app, client, children):
    client.login("screener")
    page = client.get(f"/residents/{children['be']}").get_data(as_text=True)
    saved = client.post_form(f"/residents/{children['be']}/visits",
                             {"client_uuid": uuid_for(page, "absent"), "outcome": "absent"},
                             headers=HX)
    assert saved.status_code == 200
    rows = client.get("/follow-up/revisits").get_data(as_text=True)
    assert "Trần Ngọc Bảo Anh" in rows
    line = rows.split("Trần Ngọc Bảo Anh", 1)[1].split("</td>", 1)[0]
    assert "Người giám hộ: Trần Văn Nam" in line and "0387654321" in line


@DURING_THE_CAMPAIGN
def test_the_commune_leads_preview_shows_a_minors_guardian(app, client, children):
    client.login("commune_lead")
    page = client.get("/lists/preview").get_data(as_text=True)
    line = page.split("Trần Ngọc Bảo Anh", 1)[1].split("</td>", 1)[0]
    assert "Người giám hộ: Trần Văn Nam" in line and "0387654321" in line


# --- the list and its files --------------------------------------------------------------


def test_a_childrens_list_freezes_the_guardian_and_prints_its_column(app, client, children):
    with app.app_context():
        campaign = db.session.get(Campaign, children["children"])
        submitted = submit(_user("commune_lead"), campaign, unit("31117"), TODAY)
        db.session.commit()
        [row] = submitted.rows
        assert (row.full_name, row.guardian_name, row.guardian_phone) == (
            "Trần Ngọc Bảo Anh", *GUARDIAN)
        # Frozen: a later change to the household does not touch the list.
        household = db.session.scalar(select(Household).where(Household.code == "HGĐ-0002"))
        household.guardian_phone = "0912000111"
        db.session.commit()
        document = document_of(submitted)
        list_id = submitted.id
    assert document.guardian_column
    assert document.rows[0].guardian == "Trần Văn Nam, 0387654321"
    text = _pdf_text(render_pdf(document))
    assert "Họ tên, SĐT người" in text and "giám hộ" in text
    assert "Trần Văn Nam," in text and "0387654321" in text
    header, *lines = _csv(document)
    assert header[7] == "Họ tên, SĐT người giám hộ" and header[6] == "Địa chỉ"
    assert lines[0][2] == "Trần Ngọc Bảo Anh" and lines[0][7] == "Trần Văn Nam, 0387654321"

    client.login("district_officer")  # the list's page shows the frozen guardian too
    page = client.get(f"/lists/{list_id}").get_data(as_text=True)
    line = page.split("Trần Ngọc Bảo Anh", 1)[1].split("</td>", 1)[0]
    assert "Người giám hộ: Trần Văn Nam" in line and "0387654321" in line


def test_an_adult_campaigns_list_keeps_no_guardian_and_prints_no_such_column(app, children):
    with app.app_context():
        # The booster campaign (closed here, its list submitted all the same) targets adults:
        # Trần Văn Nam's row keeps no guardian though his household has one.
        booster = db.session.get(Campaign, children["campaign"])
        submitted = submit(_user("commune_lead"), booster, unit("31117"), TODAY)
        approve(_user("district_officer"), submitted)
        db.session.commit()
        nam = next(row for row in submitted.rows if row.full_name == "Trần Văn Nam")
        assert (nam.guardian_name, nam.guardian_phone) == (None, None)
        document = document_of(submitted)
    assert not document.guardian_column
    assert all(row.guardian == "" for row in document.rows)
    text = _pdf_text(render_pdf(document))
    assert "Trần Văn Nam" in text and "giám hộ" not in text
    assert tuple(_csv(document)[0]) == COLUMNS
