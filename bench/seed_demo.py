"""Row: wall time of `flask seed-demo`, against raw bulk inserts of as many rows of the same shape."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from datetime import date, datetime, timedelta

from bench.common import SQLITE, Backend, Row, Settings, median, migrate, note, scratch_database
from bench.common import seed_demo as run_seed_demo

RESIDENTS = 100_000
QUICK_RESIDENTS = 5_000
# A run takes seconds: three give a true median (of two, the median is only the mean).
RUNS = 3
QUICK_RUNS = 1
TARGET = "≤ 60 s"
TARGET_SECONDS = 60.0


def title(settings: Settings) -> str:
    """The row's name, with the number of residents actually seeded."""
    return f"seed-demo {residents(settings):,} residents"


def residents(settings: Settings) -> int:
    """How many residents to seed: fewer in a quick smoke run."""
    return QUICK_RESIDENTS if settings.quick else RESIDENTS


# --- the baseline: as many rows, as plain tuples through the bare driver --------------------

# The tables the generator fills in bulk, with the columns and types of the portal's schema
# but no index, foreign key or constraint: the cheapest place such rows can go.
PLAIN_TABLES = {
    "households": """(id INTEGER PRIMARY KEY, hamlet_id INTEGER NOT NULL, code VARCHAR(32) NOT NULL,
        address VARCHAR(255) NOT NULL, head_name VARCHAR(120))""",
    "residents": """(id INTEGER PRIMARY KEY, hamlet_id INTEGER NOT NULL, household_id INTEGER,
        full_name VARCHAR(120) NOT NULL, name_folded VARCHAR(120) NOT NULL, birth_date DATE,
        birth_year INTEGER NOT NULL, sex VARCHAR(32) NOT NULL, id_number VARCHAR(12),
        phone VARCHAR(16), chronic_condition BOOLEAN NOT NULL, immunocompromised BOOLEAN NOT NULL,
        pregnant BOOLEAN NOT NULL, status VARCHAR(32) NOT NULL, source VARCHAR(32) NOT NULL,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)""",
    "doses": """(id INTEGER PRIMARY KEY, resident_id INTEGER NOT NULL, kind VARCHAR(32) NOT NULL,
        vaccine VARCHAR(60) NOT NULL, given_on DATE NOT NULL, place VARCHAR(160),
        source VARCHAR(32) NOT NULL, visit_id INTEGER, created_at TIMESTAMP NOT NULL)""",
    "visits": """(id INTEGER PRIMARY KEY, client_uuid VARCHAR(36) NOT NULL,
        campaign_id INTEGER NOT NULL, resident_id INTEGER NOT NULL, user_id INTEGER,
        visited_at TIMESTAMP NOT NULL, outcome VARCHAR(32) NOT NULL, refusal_reason VARCHAR(32),
        screening_category VARCHAR(32), deferred_until DATE, reason TEXT, note TEXT,
        undone_at TIMESTAMP, created_at TIMESTAMP NOT NULL)""",
}
# When seed-demo's summary cannot be read: the shape of the demo at 100,000 residents.
PER_RESIDENT = {"households": 0.27, "residents": 1.0, "doses": 2.12, "visits": 0.031}
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em")
FOLDED = ("nguyen van an", "tran thi binh", "le van cuong", "pham thi dung", "hoang van em")
VACCINES = ("AstraZeneca", "Pfizer-BioNTech", "Moderna", "Vero Cell")
NOW = datetime(2022, 7, 8, 1, 30)


def _household(i: int) -> tuple:
    """A household row, in the columns of PLAIN_TABLES."""
    return (i, 1 + i % 40, f"HGĐ-{i % 10_000:04d}", f"Số {i % 250}, hẻm {i % 300}, đường Mậu Thân",
            NAMES[i % 5])


def _resident(i: int) -> tuple:
    """A resident row: every column filled, as the register's rows are."""
    born = date(1940 + i % 70, 1 + i % 12, 1 + i % 28)
    return (i, 1 + i % 40, 1 + i // 4, NAMES[i % 5], FOLDED[i % 5], born, born.year,
            "male" if i % 2 else "female", f"{i:012d}", f"09{i:08d}", i % 7 == 0, i % 53 == 0,
            False, "present", "register", NOW, NOW)


def _dose(i: int) -> tuple:
    """A dose row (plain tables have no foreign key: the resident id need only look real)."""
    return (i, 1 + i // 2, ("dose_1", "dose_2", "booster_1")[i % 3], VACCINES[i % 4],
            date(2021, 7, 1) + timedelta(days=i % 300), "Trạm Y tế Phường Cái Khế", "platform",
            None, NOW)


def _visit(i: int) -> tuple:
    """A visit row with its unique client uuid."""
    return (i, str(uuid.UUID(int=i)), 2, i, 1, NOW, "willing", None, None, None, None, None,
            None, NOW)


MAKE_ROW = {"households": _household, "residents": _resident, "doses": _dose, "visits": _visit}


def rows_from_summary(output: str, residents: int) -> tuple[dict[str, int], bool]:
    """How many rows of each bulk table seed-demo wrote, read from its summary line.

    Returns the counts and whether they were read (else estimated from PER_RESIDENT).
    """
    summary = dict((name, int(number)) for number, name in re.findall(r"(\d+) (\w+)", output))
    if all(table in summary for table in PLAIN_TABLES):
        return {table: summary[table] for table in PLAIN_TABLES}, True
    return {table: round(share * residents) for table, share in PER_RESIDENT.items()}, False


def bulk_insert(database_url: str, rows: dict[str, int]) -> float:
    """Seconds to create the plain tables and load rows[table] made-up rows into each, in one
    transaction (executemany on SQLite, COPY on PostgreSQL): what the rows cost the bare driver.
    """
    started = time.perf_counter()
    if database_url.startswith("sqlite:///"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            # The portal's own pragmas (portal/__init__.py), so both sides pay the same durability.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            for table, columns in PLAIN_TABLES.items():
                conn.execute(f"CREATE TABLE plain_{table} {columns}")
                make = MAKE_ROW[table]
                width = len(make(1))
                conn.executemany(f"INSERT INTO plain_{table} VALUES ({', '.join(['?'] * width)})",
                                 (make(i) for i in range(1, rows[table] + 1)))
            conn.commit()
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            with conn.cursor() as cursor:
                for table, columns in PLAIN_TABLES.items():
                    cursor.execute(f"CREATE TABLE plain_{table} {columns}")
                    make = MAKE_ROW[table]
                    # COPY, as the generator uses: psycopg's executemany is ~3.5 times slower
                    # here, slower than the whole generator, and would flatter it.
                    with cursor.copy(f"COPY plain_{table} FROM STDIN") as copy:
                        for i in range(1, rows[table] + 1):
                            copy.write_row(make(i))
    return time.perf_counter() - started


def run(backend: Backend, settings: Settings) -> list[Row]:
    """Seed fresh migrated databases and bulk-load plain ones, alternately; compare medians."""
    count = residents(settings)
    runs = QUICK_RUNS if settings.quick else RUNS
    seeded, inserted, generator = [], [], []
    for run_number in range(1, runs + 1):
        # Alternating the two spreads any slow spell of the machine over both sides.
        with scratch_database(backend) as url:
            migrate(url)  # not timed: the benchmark is the generator, not Alembic
            seconds, output = run_seed_demo(url, count)
            seeded.append(seconds)
            # seed-demo's own figure leaves out the start-up of Python and the app.
            own = re.search(r"loaded in ([0-9.]+) s", output)
            if own:
                generator.append(float(own.group(1)))
            note(f"seed-demo {count:,} on {backend.name}, run {run_number}: {seconds:.1f} s "
                 f"wall; {output.strip().splitlines()[0] if output.strip() else 'no output'}")
        rows, read = rows_from_summary(output, count)
        with scratch_database(backend) as url:
            seconds = bulk_insert(url, rows)
            inserted.append(seconds)
            note(f"raw load of the same rows on {backend.name}, run {run_number}: {seconds:.1f} s")
    figure, baseline = median(seeded), median(inserted)
    if settings.quick:
        target = f"{TARGET} (at {RESIDENTS:,}; not judged in a quick run)"
    else:
        target = f"{TARGET}: {'met' if figure <= TARGET_SECONDS else 'MISSED'}"
    shape = ", ".join(f"{n:,} {table}" for table, n in rows.items())
    how = "executemany" if backend.name == SQLITE else "COPY"
    return [Row(
        benchmark=title(settings),
        database=backend.label,
        figure=f"{figure:.1f} s wall"
               + (f" (generator alone {median(generator):.1f} s)" if generator else ""),
        baseline=f"{baseline:.1f} s: plain tables, bare {how} of {shape}"
                 + ("" if read else " (estimated: summary unreadable)"),
        ratio=f"{figure / baseline:.1f}× the raw load",
        target=target,
        runs=f"median of {runs}",
    )]
