"""Row: the likely duplicates of a 30,000-person commune, as the lead's page finds them (grouped in
the database: a shared folded name and birth date, or a household's shared phone and birth
year), beside the naive self-join of the residents with themselves on the same conditions, in
the same run. Both must find the same pairs.

The commune is the demo's first, filled to 30,000 people in households of four, with names
drawn from common Vietnamese family, middle and given names and birth dates over ninety years
(so that some people share a name and a birthday by chance, as in a real ward), and 1 % of
them entered twice: in another household with the same name and birth date, or in their own
with the same phone and birth year.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

from sqlalchemy import select, text

from bench.common import Backend, BenchError, Row, Settings, median, migrate, note, scratch_database, seed_demo
from bench.inprocess import portal_app

PEOPLE = 30_000
QUICK_PEOPLE = 5_000
REPETITIONS = 7
QUICK_REPETITIONS = 3
TWICE = 0.01

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Đức", "Thu", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương",
         "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Ngọc", "Phong", "Phúc",
         "Quân", "Sơn", "Tâm", "Thảo", "Thủy", "Trang", "Trung", "Tuấn", "Vân", "Yến"]

NAIVE = """
SELECT a.id, b.id FROM residents a JOIN residents b ON a.id < b.id
 AND a.name_folded = b.name_folded AND a.birth_date = b.birth_date
 WHERE a.hamlet_id IN ({hamlets}) AND b.hamlet_id IN ({hamlets})
UNION
SELECT a.id, b.id FROM residents a JOIN residents b ON a.id < b.id
 AND a.household_id = b.household_id AND a.phone = b.phone AND a.birth_year = b.birth_year
 WHERE a.hamlet_id IN ({hamlets}) AND b.hamlet_id IN ({hamlets})
"""


def title(settings: Settings) -> str:
    return "likely duplicates of a commune (the lead's list)"


def fill_commune(app, people: int) -> tuple[int, list[int]]:
    """The demo's first commune filled to `people` residents: its id and its hamlets."""
    from portal.bulk import bulk_insert
    from portal.extensions import db
    from portal.residents.models import Household, Resident
    from portal.residents.search import ENTRY_COLUMNS, search_entries
    from portal.text import fold
    from portal.timeutil import utcnow
    from portal.units.models import AdministrativeUnit, UnitLevel

    rng = random.Random(30_000)
    with app.app_context():
        commune = db.session.scalar(select(AdministrativeUnit).where(
            AdministrativeUnit.level == UnitLevel.COMMUNE).order_by(AdministrativeUnit.id))
        hamlets = list(db.session.scalars(select(AdministrativeUnit.id).where(
            AdministrativeUnit.parent_id == commune.id)))
        have = db.session.scalar(select(text("count(*)")).select_from(Resident).where(
            Resident.hamlet_id.in_(hamlets)))
        wanted = people - have
        households = []
        for n in range((wanted + 3) // 4):
            households.append((hamlets[n % len(hamlets)], f"BENCH-{n:06d}", f"Số {n}, đường Bench"))
        bulk_insert("households", ("hamlet_id", "code", "address"), households)
        ids = dict(db.session.execute(select(Household.code, Household.id).where(
            Household.code.like("BENCH-%"))).all())
        now = utcnow()
        rows = []
        for n in range(wanted):
            hamlet, code, _ = households[n // 4]
            if rows and rng.random() < TWICE:  # someone already entered, entered again
                twin = list(rows[rng.randrange(len(rows))])
                if rng.random() < 0.5 or twin[9] is None:  # elsewhere, same name and birthday
                    twin[0], twin[1] = hamlet, ids[code]
                # else: in their own household, same phone and year, the date typed otherwise
                else:
                    twin[4] = None
                twin[7] = None  # an ID number is unique: the second entry has none
                rows.append(tuple(twin))
                continue
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            born = date(1930, 1, 1) + timedelta(days=rng.randrange(90 * 365))
            phone = f"09{rng.randrange(10**8):08d}" if rng.random() < 0.6 else None
            rows.append((hamlet, ids[code], name, fold(name), born, born.year, "male"
                         if rng.random() < 0.5 else "female", None, None, phone,
                         False, False, False, "present", "register", now, now))
        columns = ("hamlet_id", "household_id", "full_name", "name_folded", "birth_date",
                   "birth_year", "sex", "id_number", "guardian_name", "phone", "chronic_condition",
                   "immunocompromised", "pregnant", "status", "source", "created_at", "updated_at")
        bulk_insert("residents", columns, rows)
        added = db.session.execute(select(Resident.id, Resident.full_name).where(
            Resident.created_at == now))
        bulk_insert("resident_search_terms", ENTRY_COLUMNS, [
            entry for resident_id, name in added
            for entry in search_entries(commune.id, resident_id, name)])
        db.session.commit()
        commune_id = commune.id
        db.session.remove()
    return commune_id, hamlets


def run(backend: Backend, settings: Settings) -> list[Row]:
    people = QUICK_PEOPLE if settings.quick else PEOPLE
    repetitions = QUICK_REPETITIONS if settings.quick else REPETITIONS
    with scratch_database(backend) as url:
        migrate(url)
        seed_demo(url, 3_000)
        with portal_app(url) as app:
            from portal.extensions import db
            from portal.residents.duplicates import duplicates_in
            from portal.units.models import AdministrativeUnit

            commune_id, hamlets = fill_commune(app, people)
            naive_sql = text(NAIVE.format(hamlets=", ".join(map(str, hamlets))))
            portal_ms, naive_ms = [], []
            found = naive = set()
            with app.app_context():
                commune = db.session.get(AdministrativeUnit, commune_id)
                for repetition in range(repetitions + 1):  # the first of each warms the caches
                    db.session.expire_all()
                    started = time.perf_counter()
                    pairs = duplicates_in(commune, limit=10**9)
                    elapsed = (time.perf_counter() - started) * 1000
                    found = {(p.first.id, p.second.id) for p in pairs}
                    started = time.perf_counter()
                    naive = set(map(tuple, db.session.execute(naive_sql).all()))
                    naive_elapsed = (time.perf_counter() - started) * 1000
                    if repetition:
                        portal_ms.append(elapsed)
                        naive_ms.append(naive_elapsed)
                db.session.remove()
            if found != naive:
                raise BenchError(f"the list found {len(found)} pairs, the self-join {len(naive)}")
    note(f"duplicates on {backend.name}: {len(found)} pairs, {median(portal_ms):.0f} ms, "
         f"naive {median(naive_ms):.0f} ms")
    return [Row(
        benchmark=f"{title(settings)}, {people:,} people", database=backend.label,
        figure=f"{len(found):,} pairs (with their records) in p50 {median(portal_ms):.0f} ms",
        baseline=f"naive self-join, the same {len(naive):,} pairs (ids only): "
                 f"p50 {median(naive_ms):.0f} ms",
        ratio=f"{median(portal_ms) / median(naive_ms):.2f}× the self-join's time",
        target="the same pairs as the self-join; no target time set",
        runs=f"{repetitions} runs each, in-process",
    )]
