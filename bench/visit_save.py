"""Row: visits saved per second through the real endpoint, against a bare Flask insert of the row.

Both under gunicorn (2 workers) with wrk holding 16 connections on loopback. The portal's
requests are what the card's HTMX form sends: the session cookie, the CSRF token, a fresh client
id each, to residents spread over the screener's hamlets; each is validated, scope-checked,
looked up for idempotency, saved with its audit row and answered with the record fragment.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import (
    Backend, BenchError, Row, Settings, WrkRun, gunicorn, median, migrate, note, run_wrk,
    scratch_database, seed_demo,
)
from bench.home_page import USER_AGENT, log_in

RESIDENTS = 20_000
QUICK_RESIDENTS = 2_000
REPETITIONS = 3
QUICK_REPETITIONS = 1
CONNECTIONS = 16
SCRIPT = Path(__file__).resolve().parent / "wrk_visit.lua"
TARGET = "ratio ≥ 0.5; p95 ≤ 50 ms"
TARGET_RATIO = 0.5
TARGET_P95_MS = 50.0


def title(settings: Settings) -> str:
    return f"visit save (gunicorn, 2 workers, {CONNECTIONS} clients)"


def screener_residents(database_url: str) -> list[int]:
    """Adults present in the screener's hamlets: the people the card's form is shown for."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(text(
                "SELECT r.id FROM residents r"
                " JOIN user_hamlets uh ON uh.hamlet_id = r.hamlet_id"
                " JOIN users u ON u.id = uh.user_id AND u.username = 'screener'"
                " WHERE r.status = 'present' AND r.birth_year <= 2004 ORDER BY r.id"
            )))
    finally:
        engine.dispose()


def residents_to_visit(database_url: str, ids: list[int]) -> list[int]:
    """Those of ids a knock records something for: targeted by an open campaign of the
    screener's and not up to date in it (the others' saves are refused: nothing to record).
    An absent knock leaves them so, so they may be visited again."""
    from sqlalchemy import select

    from bench.inprocess import portal_app

    with portal_app(database_url) as app:
        from portal.auth.models import User
        from portal.campaigns.active import open_campaigns
        from portal.extensions import db
        from portal.residents.models import Resident
        from portal.timeutil import today_local
        from portal.visits.standings import standings_in

        with app.app_context():
            screener = db.session.scalar(select(User).where(User.username == "screener"))
            residents = list(db.session.scalars(select(Resident).where(Resident.id.in_(ids))))
            standings = standings_in(open_campaigns(screener), residents, today_local())
            chosen = sorted(r.id for r in residents
                            if any(s.to_record for s in standings[r.id]))
            db.session.remove()
    return chosen


def form_token(base_url: str, cookie: str, resident_id: int) -> str:
    """The CSRF token of the card's visit forms, as the browser would send it."""
    import requests

    page = requests.get(f"{base_url}/residents/{resident_id}", timeout=30,
                        headers={"Cookie": f"session={cookie}", "User-Agent": USER_AGENT})
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if page.status_code != 200 or not found or 'name="client_uuid"' not in page.text:
        raise BenchError(f"GET /residents/{resident_id}: HTTP {page.status_code}, no visit form")
    return found.group(1)


def count_visits(database_url: str) -> int:
    """Knocks saved: a knock is a visit row for each open campaign it records, all of one
    client id (the bare app's one row each)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(DISTINCT client_uuid) FROM visits"))
    finally:
        engine.dispose()


def run(backend: Backend, settings: Settings) -> list[Row]:
    count = QUICK_RESIDENTS if settings.quick else RESIDENTS
    repetitions = QUICK_REPETITIONS if settings.quick else REPETITIONS
    seconds = settings.wrk_seconds
    with scratch_database(backend) as url, tempfile.TemporaryDirectory() as folder:
        migrate(url)
        seed_demo(url, count)
        ids = residents_to_visit(url, screener_residents(url))
        if not ids:
            raise BenchError("the demo's screener has no adult residents left to visit")
        ids_file = Path(folder) / "ids.txt"
        ids_file.write_text("\n".join(map(str, ids)) + "\n")
        with gunicorn("wsgi:app", url) as portal, gunicorn("bench.bare_visit_app:app", url) as bare:
            cookie = log_in(portal)
            token = form_token(portal, cookie, ids[0])
            form = "Content-Type: application/x-www-form-urlencoded"
            sides = {
                "portal": (portal + "/", [f"Cookie: session={cookie}", f"User-Agent: {USER_AGENT}",
                                          "HX-Request: true", form],
                           {"BENCH_VISIT_PATH": "/residents/%d/visits", "BENCH_VISIT_CSRF": token}),
                "bare": (bare + "/", [form],
                         {"BENCH_VISIT_PATH": "/bare-visits/%d", "BENCH_VISIT_CSRF": ""}),
            }
            runs: dict[str, list[WrkRun]] = {"portal": [], "bare": []}
            made: dict[str, int] = {"portal": 0, "bare": 0}

            def load(side: str, duration: int) -> WrkRun:
                target, headers, environment = sides[side]
                before = count_visits(url)
                result = run_wrk(target, seconds=duration, headers=headers, script=SCRIPT,
                                 connections=CONNECTIONS, environment={
                                     "BENCH_VISIT_IDS": str(ids_file),
                                     "BENCH_NONCE": str(time.time_ns() % 1_000_000_007),
                                     **environment})
                made[side] = count_visits(url) - before
                # Every answer is one new visit (no replay, no lost write). Requests in flight
                # when wrk stops, or cut by a socket error (run_wrk allows 1 %), are saved
                # without being counted.
                if not result.requests <= made[side] <= 1.01 * result.requests + CONNECTIONS:
                    raise BenchError(f"{side}: {result.requests} answers but {made[side]} visits")
                return result

            load("portal", 2)
            load("bare", 2)
            for repetition in range(1, repetitions + 1):
                runs["portal"].append(load("portal", seconds))
                runs["bare"].append(load("bare", seconds))
                note(f"visit save on {backend.name}, run {repetition}: portal "
                     f"{runs['portal'][-1].rps:.0f}/s, bare {runs['bare'][-1].rps:.0f}/s")
    portal_rps = median([r.rps for r in runs["portal"]])
    bare_rps = median([r.rps for r in runs["bare"]])
    p95 = median([r.p95_ms for r in runs["portal"]])
    ratio = portal_rps / bare_rps
    met = "met" if ratio >= TARGET_RATIO and p95 <= TARGET_P95_MS else "MISSED"
    return [Row(
        benchmark=title(settings), database=backend.label,
        figure=f"{portal_rps:.0f} visits/s; p50 {median([r.p50_ms for r in runs['portal']]):.1f} ms, "
               f"p95 {p95:.1f} ms",
        baseline=f"{bare_rps:.0f} inserts/s; p50 {median([r.p50_ms for r in runs['bare']]):.1f} ms, "
                 f"p95 {median([r.p95_ms for r in runs['bare']]):.1f} ms (bare Flask insert)",
        ratio=f"{ratio:.2f}× the bare rate", target=f"{TARGET}: {met}",
        runs=f"median of {repetitions} × {seconds} s, wrk -t2 -c{CONNECTIONS}, {len(ids):,} residents",
    )]
