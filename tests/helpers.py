"""What many tests do the same way: read a form off a page, log in a browser, find a unit.

Builders are named gen_* after CTFd's tests/helpers.py; each writes through the same models
the portal uses and returns what it made.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from portal.campaigns.models import Campaign
from portal.demo import DEMO_PASSWORD, REFERENCE_DAY
from portal.extensions import db
from portal.residents.models import DoseKind
from portal.units.models import AdministrativeUnit

# The header HTMX sends with each of its requests.
HX = {"HX-Request": "true"}
PHONE_WIDTH = 360


def uuid_for(page: str, outcome: str) -> str:
    """The client id of the card's form for an outcome (each form carries its own)."""
    form = page.split(f'name="outcome" value="{outcome}"')[0].rsplit("<form", 1)[1]
    return re.search(r'name="client_uuid" value="([^"]+)"', form).group(1)


def csrf_in(page: str) -> str:
    """The CSRF token of a page's first form."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def field_error(html: str, field: str) -> str:
    """The text of the error printed beside a form's field, or '' when there is none."""
    marker = f'id="{field}-error">'
    if marker not in html:
        return ""
    return html.split(marker, 1)[1].split("</p>", 1)[0]


def list_id_of(response) -> int:
    """The list a response redirects to (/lists/<id>)."""
    return int(re.search(r"/lists/(\d+)$", response.headers["Location"]).group(1))


def unit(code: str) -> AdministrativeUnit:
    """The administrative unit with this official code (inside an app context)."""
    return db.session.scalars(select(AdministrativeUnit).where(AdministrativeUnit.code == code)).one()


def gen_childrens_campaign(unit_id: int) -> Campaign:
    """Seed 002's dose-1 campaign for children of 5 to under 12, run by the unit, open, added
    to the session (the caller commits)."""
    campaign = Campaign(
        name="Tiêm mũi 1 cho trẻ em từ 5 đến dưới 12 tuổi", unit_id=unit_id,
        required_dose=DoseKind.DOSE_1, min_age=5, max_age=12, age_reference_date=REFERENCE_DAY,
        starts_on=REFERENCE_DAY, deadline=date(2022, 8, 31))
    db.session.add(campaign)
    return campaign


def log_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD, *,
           touch: bool = False, home: bool = False) -> None:
    """Log in through the login page in a real browser (by tap on a touch screen); with home,
    wait until the home page has come."""
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    if touch:
        page.tap("button[type=submit]")
    else:
        page.click("button[type=submit]")
    if home:
        page.wait_for_url(f"{base_url}/")


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the phone: more than 0 scrolls sideways."""
    # With a mobile viewport Chromium widens the layout to fit the content: compare with 360.
    return page.evaluate("document.documentElement.scrollWidth") - PHONE_WIDTH


@contextlib.contextmanager
def accounts_locked(app, database_url) -> Iterator[None]:
    """Another connection holding a lock the login needs: on PostgreSQL the accounts' table,
    on SQLite the file's one write lock."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    with app.app_context(), db.engine.connect() as holder:
        holder.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            holder.rollback()
