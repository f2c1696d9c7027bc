"""Fixtures: a migrated database (SQLite, or PostgreSQL when asked), the app, a CSRF-aware client."""

from __future__ import annotations

import os
import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from portal import create_app
from portal.auth.models import Role, User
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.units.models import UnitLevel, create_unit

DEMO_PASSWORD = "tungnha-demo"
# Passwords hashed at a cost a hundred times lower than production's: a login is then
# milliseconds, not a tenth of a second (the cost is stored in each hash and checked as such).
TEST_HASH_METHOD = "scrypt:1024:8:1"
# `make test` runs the suite once on SQLite, then with this set to the PostgreSQL URL.
POSTGRES_URL = os.environ.get("TUNGNHA_TEST_DATABASE_URL")


def pytest_report_header(config):
    return f"database under test: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite'}"


def _psycopg_url(url: str) -> str:
    from portal.config import normalise_database_url

    return normalise_database_url(url)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A database migrated to head once per run; tests empty its tables after themselves."""
    if POSTGRES_URL:
        url = _psycopg_url(POSTGRES_URL)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


def _empty_all_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        # The unit tree points at itself: check foreign keys once, when all rows are gone.
        db.session.execute(text("PRAGMA defer_foreign_keys=ON"))
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    """The portal, on the migrated test database, emptied after each test."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "LIST_FILE_COPIES": str(tmp_path / "list-files"),
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        }
    )
    app.test_client_class = CsrfClient
    yield app
    from portal.jobs.runner import join_threads

    join_threads()  # a job a test started must not write into the next test's tables
    with app.app_context():
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


class CsrfClient(FlaskClient):
    """A test client that reads the CSRF token from the page, as a browser would."""

    def csrf_token(self) -> str:
        page = self.get("/login", follow_redirects=True).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with the CSRF token a browser would send."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def login(self, username: str, password: str = DEMO_PASSWORD, **kwargs):
        return self.post_form(
            "/login", {"username": username, "password": password}, **kwargs
        )


@pytest.fixture
def client(app) -> CsrfClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def demo_password_hash() -> str:
    """scrypt is slow on purpose: hash the shared test password once per run."""
    return hash_password(DEMO_PASSWORD, TEST_HASH_METHOD)


@pytest.fixture
def units(app):
    """A province, two districts, communes with hamlets: enough to test scoping."""
    with app.app_context():
        province = create_unit(code="92", name="Thành phố Cần Thơ", kind="Thành phố",
                               level=UnitLevel.PROVINCE, parent=None)
        ninh_kieu = create_unit(code="916", name="Quận Ninh Kiều", kind="Quận",
                                level=UnitLevel.DISTRICT, parent=province)
        binh_thuy = create_unit(code="918", name="Quận Bình Thủy", kind="Quận",
                                level=UnitLevel.DISTRICT, parent=province)
        cai_khe = create_unit(code="31117", name="Phường Cái Khế", kind="Phường",
                              level=UnitLevel.COMMUNE, parent=ninh_kieu)
        an_hoa = create_unit(code="31120", name="Phường An Hòa", kind="Phường",
                             level=UnitLevel.COMMUNE, parent=ninh_kieu)
        binh_thuy_ward = create_unit(code="31183", name="Phường Bình Thủy", kind="Phường",
                                     level=UnitLevel.COMMUNE, parent=binh_thuy)
        for commune in (cai_khe, an_hoa, binh_thuy_ward):
            for n in (1, 2):
                create_unit(code=f"{commune.code}-{n:02d}", name=f"Khu vực {n}", kind="Khu vực",
                            level=UnitLevel.HAMLET, parent=commune)
        db.session.commit()
        return {u.code: u.id for u in (province, ninh_kieu, binh_thuy, cai_khe, an_hoa,
                                       binh_thuy_ward)}


ROLE_UNITS = {
    Role.SCREENER: "31117",
    Role.COMMUNE_LEAD: "31117",
    Role.DISTRICT_OFFICER: "916",
    Role.CLERK: "916",
    Role.ADMIN: "92",
}


@pytest.fixture
def users(app, units, demo_password_hash):
    """One account per role, named after the role, as in the demo."""
    from portal.units.models import AdministrativeUnit

    with app.app_context():
        ids = {}
        for role, code in ROLE_UNITS.items():
            unit = db.session.query(AdministrativeUnit).filter_by(code=code).one()
            user = User(username=role.value, full_name=f"Cán bộ {role.value}",
                        password_hash=demo_password_hash, role=role, unit=unit)
            db.session.add(user)
            db.session.flush()
            ids[role] = user.id
        db.session.commit()
        return ids


@pytest.fixture
def reference_day() -> date:
    return date(2022, 7, 8)


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free loopback port, in a thread."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright. Missing, it fails: never skipped."""
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # The machine's network is closed: no background calls to Google's hosts.
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A page in a 360x740 touch viewport: the screener's cheap Android phone."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def world(app, users):
    """An active booster campaign and residents of Phường Cái Khế (and one in Bình Thủy).

    Returns resident ids by a short name, and the campaign id.
    """
    from datetime import date as _date

    from portal.campaigns.models import Campaign
    from portal.residents.models import Dose, DoseKind, Household, RecordSource, Resident, Sex
    from portal.residents.search import index_resident
    from portal.text import fold
    from portal.units.models import AdministrativeUnit

    def unit(code):
        return db.session.query(AdministrativeUnit).filter_by(code=code).one()

    people = [
        # key, hamlet, household, name, birth, sex, id number, phone, doses
        ("duc", "31117-01", "HGĐ-0001", "Nguyễn Văn Đức", _date(1960, 3, 2), Sex.MALE,
         "092060001234", "0912345678", [DoseKind.DOSE_1, DoseKind.DOSE_2]),
        ("lan", "31117-01", "HGĐ-0001", "Nguyễn Thị Lan", _date(1963, 5, 9), Sex.FEMALE,
         "092163004321", None, [DoseKind.DOSE_1, DoseKind.DOSE_2, DoseKind.BOOSTER_1]),
        ("nam", "31117-01", "HGĐ-0002", "Trần Văn Nam", _date(1990, 1, 20), Sex.MALE,
         None, "0387654321", [DoseKind.DOSE_1]),
        ("be", "31117-01", "HGĐ-0002", "Trần Ngọc Bảo Anh", _date(2015, 6, 1), Sex.FEMALE,
         None, None, []),
        ("hoa", "31117-02", "HGĐ-0101", "Lê Thị Hoa", _date(1975, 11, 30), Sex.FEMALE,
         "092175000777", None, [DoseKind.DOSE_1, DoseKind.DOSE_2]),
        ("khanh", "31120-01", "HGĐ-0201", "Nguyễn Văn Đức Khánh", _date(1980, 2, 2), Sex.MALE,
         None, None, [DoseKind.DOSE_1, DoseKind.DOSE_2]),
        ("other", "31183-01", "HGĐ-0301", "Nguyễn Văn Đức", _date(1961, 7, 7), Sex.MALE,
         None, None, []),
    ]
    with app.app_context():
        campaign = Campaign(
            name="Tiêm mũi nhắc lại lần 1 (mũi 3) cho người từ 18 tuổi trở lên",
            unit_id=unit("92").id, required_dose=DoseKind.BOOSTER_1, min_age=18,
            age_reference_date=_date(2022, 7, 8), starts_on=_date(2022, 7, 8),
            deadline=_date(2022, 8, 31), active=True,
        )
        db.session.add(campaign)
        households = {}
        ids = {}
        for key, hamlet_code, hh_code, name, born, sex, id_number, phone, doses in people:
            hamlet = unit(hamlet_code)
            if hh_code not in households:
                households[hh_code] = Household(hamlet_id=hamlet.id, code=hh_code,
                                                address=f"Số {len(households) + 1}, đường Trần Phú")
                db.session.add(households[hh_code])
                db.session.flush()
            resident = Resident(
                hamlet_id=hamlet.id, household_id=households[hh_code].id, full_name=name,
                name_folded=fold(name), birth_date=born, birth_year=born.year, sex=sex,
                id_number=id_number, phone=phone, chronic_condition=key == "duc",
            )
            db.session.add(resident)
            db.session.flush()
            index_resident(resident, hamlet.parent_id)
            for n, kind in enumerate(doses):
                db.session.add(Dose(resident_id=resident.id, kind=kind, vaccine="AstraZeneca",
                                    given_on=_date(2021, 8 + n, 1), source=RecordSource.PLATFORM))
            ids[key] = resident.id
        db.session.commit()
        ids["campaign"] = campaign.id
        return ids
