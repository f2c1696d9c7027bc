"""Rows: a population register of 100,000 rows imported into one commune, against a bare bulk
insert of the same rows, in the same run and database.

The file is a CSV of the demo's names and streets over Phường Cái Khế's hamlets, with one
row in a hundred broken (an impossible date, a short ID number, an unknown hamlet). The
figure is the portal's own path, in this process: the upload read and kept (service.upload),
then the job (service.begin, run in a thread) reading it again, checking every row (ID
number structure, dates, phone, hamlet without accents), recognising who is already there,
inserting households, residents and their search words, writing the report of bad rows.
It runs twice: the second import of the same file finds everyone and changes nothing.
The baseline inserts the same good rows, already cleaned, with one executemany INSERT into
residents and nothing else (then deletes them, before the import).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
import random
import time
from datetime import date

from sqlalchemy import delete, insert, select

from bench.common import (
    Backend, BenchError, Row, Settings, migrate, note, scratch_database, seed_demo,
)
from bench.inprocess import portal_app

ROWS = 100_000
QUICK_ROWS = 5_000
SEED_RESIDENTS = 2_000
COMMUNE = "31117"  # Phường Cái Khế
TARGET = "≤ 30 s"
TARGET_SECONDS = 30.0
HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Số điện thoại", "Địa chỉ",
          "Thôn/Khu vực", "Mã hộ"]


def title(settings: Settings) -> str:
    return f"residents import, {QUICK_ROWS if settings.quick else ROWS:,} rows"


def register_file(hamlets: list[str], rows: int, seed: int = 3) -> bytes:
    """A register of `rows` people in households of 1-6 over the hamlets, as a UTF-8 CSV."""
    from portal.demo.names import FAMILY_NAMES, GIVEN_NAMES, MIDDLE_NAMES, STREETS

    chance = random.Random(seed)

    def pick(weighted):
        names, weights = zip(*weighted)
        return chance.choices(names, weights)[0]

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    number, household = 0, 0
    while number < rows:
        household += 1
        hamlet = hamlets[household % len(hamlets)]
        address = f"Số {chance.randint(1, 400)}/{chance.randint(1, 60)}, đường {chance.choice(STREETS)}"
        for _ in range(chance.randint(1, 6)):
            number += 1
            if number > rows:
                break
            male = chance.random() < 0.5
            age = "older" if chance.random() < 0.6 else "younger"
            year = chance.randint(1935, 1990) if age == "older" else chance.randint(1991, 2010)
            born = date(year, chance.randint(1, 12), chance.randint(1, 28))
            sex = "male" if male else "female"
            name = (f"{pick(FAMILY_NAMES)} {pick(MIDDLE_NAMES[sex, age])} "
                    f"{pick(GIVEN_NAMES[sex, age])}")
            century = (year // 100) - 19
            # Born elsewhere (079, Hồ Chí Minh City): no clash with the demo's own 092 numbers.
            id_number = f"079{2 * century + (0 if male else 1)}{year % 100:02d}{number:06d}"
            phone = (f"09{chance.choice('0134678')}{chance.randint(0, 9_999_999):07d}"
                     if chance.random() < 0.7 else "")
            birth = born.strftime("%d/%m/%Y")
            row_hamlet = hamlet
            if number % 100 == 0:  # one row in a hundred is broken, three ways
                kind = number // 100 % 3
                if kind == 0:
                    birth = f"31/02/{year}"
                elif kind == 1:
                    id_number = id_number[:7]
                else:
                    row_hamlet = "Ấp Không Có"
            writer.writerow([number, name, birth, "Nam" if male else "Nữ", id_number, phone,
                             address, row_hamlet, f"HK-{household:06d}"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def bare_insert(app, data: bytes, commune_id: int) -> tuple[float, int]:
    """The good rows, cleaned beforehand, into residents with one executemany; then removed."""
    from portal.extensions import db
    from portal.residents.models import Resident
    from portal.text import fold
    from portal.units.models import AdministrativeUnit

    with app.app_context():
        hamlets = {name: hamlet_id for hamlet_id, name in db.session.execute(
            select(AdministrativeUnit.id, AdministrativeUnit.name)
            .where(AdministrativeUnit.parent_id == commune_id))}
        rows = []
        for record in list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]:
            number, name, birth, sex, id_number, phone, _, hamlet, _ = record
            if hamlet not in hamlets or len(id_number) != 12 or birth.startswith("31/02"):
                continue
            day, month, year = (int(part) for part in birth.split("/"))
            rows.append({"hamlet_id": hamlets[hamlet], "household_id": None, "full_name": name,
                         "name_folded": fold(name), "birth_date": date(year, month, day),
                         "birth_year": year, "sex": "male" if sex == "Nam" else "female",
                         "id_number": id_number, "phone": phone or None,
                         "chronic_condition": False, "immunocompromised": False,
                         "pregnant": False, "status": "present", "source": "register"})
        started = time.perf_counter()
        db.session.execute(insert(Resident), rows)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.execute(delete(Resident).where(Resident.id_number.in_(
            select(Resident.id_number).where(Resident.id_number.like("079%"))
            .where(Resident.household_id.is_(None)))))
        db.session.commit()
        return seconds, len(rows)


def portal_import(app, data: bytes, commune_code: str, *, kind=None,
                  name: str = "so-dan-cu.csv") -> tuple[float, dict]:
    """Upload, map as guessed, import by the job: seconds from upload to done, and the counts."""
    from flask_login import login_user

    from portal.auth.models import User
    from portal.extensions import db
    from portal.imports import service
    from portal.imports.models import Import, ImportKind, ImportState
    from portal.jobs import runner
    from portal.units.models import AdministrativeUnit

    with app.test_request_context(), app.app_context():
        user = db.session.scalar(select(User).where(User.username == "commune_lead"))
        login_user(user)
        commune = db.session.scalar(select(AdministrativeUnit).where(
            AdministrativeUnit.code == commune_code))
        started = time.perf_counter()
        upload = service.upload(name, data, kind or ImportKind.RESIDENTS, commune, user)
        db.session.commit()
        service.begin(upload, upload.mapping, user)
        upload_id = upload.id
    runner.join_threads(timeout=600)
    seconds = time.perf_counter() - started
    with app.app_context():
        done = db.session.get(Import, upload_id)
        if done.state is not ImportState.DONE:
            raise BenchError(f"the import ended {done.state.value}")
        return seconds, {"created": done.created, "updated": done.updated,
                         "unchanged": done.unchanged, "rejected": done.rejected,
                         "unmatched": done.unmatched}


@contextmanager
def demo_commune(backend: Backend) -> Iterator[tuple]:
    """The portal on a scratch database with a small demo: (app, the id of Phường Cái Khế,
    the names of its hamlets), the commune every import here goes into."""
    from portal.extensions import db
    from portal.units.models import AdministrativeUnit

    with scratch_database(backend) as url:
        migrate(url)
        seed_demo(url, SEED_RESIDENTS)
        with portal_app(url) as app:
            with app.app_context():
                commune = db.session.scalar(select(AdministrativeUnit).where(
                    AdministrativeUnit.code == COMMUNE))
                hamlets = [hamlet.name for hamlet in commune.children]
                commune_id = commune.id
            yield app, commune_id, hamlets


def run(backend: Backend, settings: Settings) -> list[Row]:
    size = QUICK_ROWS if settings.quick else ROWS
    with demo_commune(backend) as (app, commune_id, hamlets):
        data = register_file(hamlets, size)
        note(f"register of {size:,} rows, {len(data) / 1e6:.1f} MB, {len(hamlets)} hamlets")
        bare_seconds, bare_rows = bare_insert(app, data, commune_id)
        note(f"bare insert of {bare_rows:,} rows: {bare_seconds:.1f} s")
        first, counts = portal_import(app, data, COMMUNE)
        note(f"first import: {first:.1f} s {counts}")
        second, again = portal_import(app, data, COMMUNE)
        note(f"second import: {second:.1f} s {again}")
    if again["created"] or again["updated"]:
        raise BenchError(f"the second import changed something: {again}")
    return [Row(
        benchmark=title(settings), database=backend.label,
        figure=f"{first:.1f} s first import ({counts['created']:,} added, "
               f"{counts['rejected']:,} refused); {second:.1f} s again (all unchanged)",
        baseline=f"bare executemany INSERT of the {bare_rows:,} good rows: {bare_seconds:.1f} s",
        ratio=f"{first / bare_seconds:.1f}× the bare insert",
        target=f"{TARGET}: {'met' if first <= TARGET_SECONDS else 'MISSED'}",
        runs="1 run each (a 100,000-row import is a long measurement)",
    )]
