"""Row: the offline copy of a hamlet of about 2,000 people, as a phone fetches it: compressed
bytes (budget 100 KB) and server time, beside the naive copy of the same rows in the same run.

The figure is the whole request inside the server (session, login, scope, every standing of
every resident in every open campaign, the audit event, JSON, gzip), timed around the app's test
client. The baseline is what a first version would send: every resident's row and doses of the
hamlet as JSON objects with their column names, read by one plain query each, gzipped the same.
"""

from __future__ import annotations

import gzip
import json
import time

from sqlalchemy import func, select

from bench.common import Backend, BenchError, Row, Settings, median, migrate, note, scratch_database, seed_demo
from bench.inprocess import logged_in_client, portal_app

# The demo spreads its residents over 24 hamlets: 48,000 gives hamlets of about 2,000.
RESIDENTS = 48_000
QUICK_RESIDENTS = 12_000
REPETITIONS = 7
QUICK_REPETITIONS = 3
BUDGET_BYTES = 100 * 1024
TARGET = "≤ 100 KB compressed for 2,000 people"


def title(settings: Settings) -> str:
    return "offline copy of the screener's largest hamlet (server time, gzip)"


def naive_copy(app, hamlet_id: int) -> bytes:
    """Every column of the hamlet's residents and their doses, as named JSON objects."""
    from portal.extensions import db
    from portal.residents.models import Dose, Resident

    with app.app_context():
        residents = db.session.execute(select(Resident.__table__).where(
            Resident.hamlet_id == hamlet_id)).mappings().all()
        doses = db.session.execute(select(Dose.__table__).join(
            Resident, Resident.id == Dose.resident_id).where(
            Resident.hamlet_id == hamlet_id)).mappings().all()
        body = json.dumps({"residents": [dict(r) for r in residents],
                           "doses": [dict(d) for d in doses]}, default=str, ensure_ascii=False)
        db.session.remove()
    return gzip.compress(body.encode(), compresslevel=6)


def run(backend: Backend, settings: Settings) -> list[Row]:
    count = QUICK_RESIDENTS if settings.quick else RESIDENTS
    repetitions = QUICK_REPETITIONS if settings.quick else REPETITIONS
    with scratch_database(backend) as url:
        migrate(url)
        seconds, _ = seed_demo(url, count)
        note(f"seeded {count:,} residents on {backend.name} in {seconds:.0f} s")
        with portal_app(url) as app:
            from portal.auth.models import User
            from portal.extensions import db
            from portal.residents.models import Resident

            with app.app_context():
                screener = db.session.scalar(select(User).where(User.username == "screener"))
                sizes = {h.id: db.session.scalar(select(func.count()).where(
                    Resident.hamlet_id == h.id)) for h in screener.hamlets}
                db.session.remove()
            if not sizes:
                raise BenchError("the demo's screener is assigned to no hamlet")
            hamlet_id = max(sizes, key=sizes.get)
            people = sizes[hamlet_id]
            client = logged_in_client(app, "screener")
            portal_ms, naive_ms = [], []
            body = naive = b""
            for repetition in range(repetitions + 1):  # the first of each warms the caches
                started = time.perf_counter()
                answer = client.get(f"/offline/hamlets/{hamlet_id}",
                                    headers={"Accept-Encoding": "gzip"})
                elapsed = (time.perf_counter() - started) * 1000
                if answer.status_code != 200 or answer.headers.get("Content-Encoding") != "gzip":
                    raise BenchError(f"copy: HTTP {answer.status_code}")
                body = answer.data
                started = time.perf_counter()
                naive = naive_copy(app, hamlet_id)
                naive_elapsed = (time.perf_counter() - started) * 1000
                if repetition:
                    portal_ms.append(elapsed)
                    naive_ms.append(naive_elapsed)
            copied = len(json.loads(gzip.decompress(body))["people"])
            if copied != people:
                raise BenchError(f"the copy holds {copied} people, the hamlet {people}")
            per_2000 = len(body) * 2000 / people
    note(f"offline copy on {backend.name}: {len(body):,} B for {people:,} people, "
         f"{median(portal_ms):.0f} ms")
    return [Row(
        benchmark=f"{title(settings)}, {people:,} people", database=backend.label,
        figure=f"{len(body) / 1024:.1f} KB compressed ({len(gzip.decompress(body)) / 1024:.0f} KB "
               f"raw), {per_2000 / 1024:.1f} KB per 2,000 people; built in p50 "
               f"{median(portal_ms):.0f} ms",
        baseline=f"naive copy: {len(naive) / 1024:.1f} KB compressed, p50 {median(naive_ms):.0f} ms",
        ratio=f"{len(naive) / len(body):.1f}× smaller, {median(portal_ms) / median(naive_ms):.1f}× "
              "the naive time",
        target=f"{TARGET}: {'met' if per_2000 <= BUDGET_BYTES else 'MISSED'}",
        runs=f"{repetitions} copies each",
    )]
