"""Rows: the district's and the province's coverage pages at 1,000,000 residents, beside the
same pages with their figures computed live from the raw rows; the commune lead's list preview
beside the same preview computed from the raw rows; and the daily report's PDF for a district.

One seeded database serves all: the portal (`wsgi:app`) and the baseline
(`bench.live_coverage_app:app`, the portal with coverage_of and the list preview reading the
raw rows), each gunicorn with 2 workers, loaded in turns with wrk -t1 -c2. A province officer is
added (the demo's district officer, bound to the province), so that the province's page shows
its district(s) and the district's its communes.
"""

from __future__ import annotations

import statistics
import time

from sqlalchemy import create_engine, inspect, text

from bench.common import (
    Backend, BenchError, Row, Settings, WrkRun, gunicorn, median, migrate, note, run_wrk,
    scratch_database, seed_demo,
)
from bench.home_page import USER_AGENT, _get, log_in

RESIDENTS = 1_000_000
QUICK_RESIDENTS = 20_000
REPETITIONS = 3
QUICK_REPETITIONS = 1
WARM_UP_REQUESTS = 4
LIVE_SECONDS = 15
PDF_RUNS = 5
TARGET_P95_MS = 100.0
PREVIEW_TARGET_MS = 300.0
PROVINCE_OFFICER = "province_officer"


def title(settings: Settings) -> str:
    return "coverage pages and list preview from kept figures, against live aggregation"


def _engine(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _add_province_officer(url: str) -> tuple[int, int]:
    """The district officer's twin at the province; (province id, district id)."""
    engine = _engine(url)
    with engine.begin() as connection:
        columns = [c["name"] for c in inspect(connection).get_columns("users")
                   if c["name"] not in ("id", "username", "unit_id")]
        names = ", ".join(columns)
        province = connection.execute(text(
            "SELECT id FROM administrative_units WHERE level = 'province'")).scalar()
        district = connection.execute(text(
            "SELECT unit_id FROM users WHERE username = 'district_officer'")).scalar()
        connection.execute(text(
            f"INSERT INTO users (username, unit_id, {names}) SELECT :name, :unit, {names} "
            "FROM users WHERE username = 'district_officer'"),
            {"name": PROVINCE_OFFICER, "unit": province})
    engine.dispose()
    return province, district


def _check(marker: str):
    def check(status: int, html: str, what: str) -> None:
        if status != 200 or marker not in html:
            raise BenchError(f"{what}: HTTP {status}, not the page to measure")
    return check


def _timed_get(url: str, headers: list[str], runs: int) -> list[float]:
    import requests

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = requests.get(url, headers=dict(h.split(": ", 1) for h in headers), timeout=300)
        times.append(time.perf_counter() - started)
        if answer.status_code != 200 or not answer.content.startswith(b"%PDF"):
            raise BenchError(f"GET {url}: HTTP {answer.status_code}, not a PDF")
    return times


def run(backend: Backend, settings: Settings) -> list[Row]:
    count = QUICK_RESIDENTS if settings.quick else RESIDENTS
    repetitions = QUICK_REPETITIONS if settings.quick else REPETITIONS
    seconds = settings.wrk_seconds
    runs: dict[tuple[str, str], list[WrkRun]] = {}
    pdf_times: list[float] = []
    with scratch_database(backend) as url:
        migrate(url)
        seed_seconds, _ = seed_demo(url, count)
        note(f"seeded {count:,} residents on {backend.name} in {seed_seconds:.0f} s")
        _add_province_officer(url)
        pages = {
            "district": ("district_officer", "/coverage", 'id="below"'),
            "province": (PROVINCE_OFFICER, "/coverage", 'id="below"'),
            "preview": ("commune_lead", "/lists/preview", 'id="by-reason"'),
        }
        with gunicorn("wsgi:app", url) as portal, \
                gunicorn("bench.live_coverage_app:app", url) as live:
            servers = {"kept": portal, "live": live}
            headers = {}
            for server_name, base in servers.items():
                for page, (user, path, marker) in pages.items():
                    cookie = log_in(base, user, check=lambda status, html, what: None)
                    headers[(server_name, page)] = [f"Cookie: session={cookie}",
                                                    f"User-Agent: {USER_AGENT}"]
                    status, html = _get(base + path, headers[(server_name, page)])
                    _check(marker)(status, html, f"GET {path} as {user} ({server_name})")
            for repetition in range(1, repetitions + 1):
                for page, (_user, path, _marker) in pages.items():
                    for server_name, base in servers.items():
                        if repetition == 1:  # each worker's first request, not timed
                            for _ in range(WARM_UP_REQUESTS):
                                _get(base + path, headers[(server_name, page)])
                        # A live page can take seconds: long enough runs to time some of them.
                        runs.setdefault((page, server_name), []).append(run_wrk(
                            base + path, seconds=seconds if server_name == "kept" else max(
                                seconds, LIVE_SECONDS), headers=headers[(server_name, page)],
                            threads=1, connections=2))
                        note(f"{page} ({server_name}) on {backend.name}, run {repetition}: "
                             f"p95 {runs[(page, server_name)][-1].p95_ms:.1f} ms")
                        # wrk stops; the requests it left on a slow server go on: wait them out,
                        # lest they run beside the next measurement.
                        _wait_until_idle(base, runs[(page, server_name)][-1])
            communes = _communes(url)
            pdf_times = _timed_get(portal + "/reports/daily.pdf",
                                   headers[("kept", "district")], 1 if settings.quick else PDF_RUNS)
    rows = []
    labels = {"district": "district officer's coverage page (its communes)",
              "province": "province officer's coverage page (its districts)",
              "preview": "commune lead's list preview (a ward of ~20,000)"}
    for page, label in labels.items():
        kept, raw = runs[(page, "kept")], runs[(page, "live")]
        p95, p95_raw = median([r.p95_ms for r in kept]), median([r.p95_ms for r in raw])
        target = PREVIEW_TARGET_MS if page == "preview" else TARGET_P95_MS
        rows.append(Row(
            benchmark=f"{label}, {count:,} residents", database=backend.label,
            figure=f"p50 {median([r.p50_ms for r in kept]):.1f} ms, p95 {p95:.1f} ms, "
                   f"{median([r.rps for r in kept]):.0f} req/s",
            baseline=f"live from the raw rows: p50 {median([r.p50_ms for r in raw]):.1f} ms, "
                     f"p95 {p95_raw:.1f} ms",
            ratio=f"{p95_raw / p95:.1f}× faster (p95)",
            target=f"p95 ≤ {target:.0f} ms: {'met' if p95 <= target else 'MISSED'}",
            runs=f"median of {repetitions} × {seconds} s, wrk -t1 -c2",
        ))
    rows.append(Row(
        benchmark=f"daily report PDF, {communes} communes, {count:,} residents",
        database=backend.label,
        figure=f"median {statistics.median(pdf_times) * 1000:.0f} ms (GET /reports/daily.pdf)",
        baseline="—", ratio="—", target="—",
        runs=f"{len(pdf_times)} requests, median",
    ))
    return rows


def _wait_until_idle(base: str, finished: WrkRun) -> None:
    """Until the server's two workers have ended what wrk left them: as long as its slowest
    requests take, then two health checks at once must come back."""
    import threading

    import requests

    time.sleep(finished.p95_ms / 1000)
    checks = [threading.Thread(target=requests.get, args=(base + "/healthz",),
                               kwargs={"timeout": 120}) for _ in range(2)]
    for check in checks:
        check.start()
    for check in checks:
        check.join()


def _communes(url: str) -> int:
    engine = _engine(url)
    with engine.connect() as connection:
        found = connection.execute(text(
            "SELECT COUNT(*) FROM administrative_units WHERE level = 'commune'")).scalar()
    engine.dispose()
    return found
