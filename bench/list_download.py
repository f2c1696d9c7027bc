"""Row: an approved list's PDF downloaded by a clerk, against a bare Flask read of the same bytes.

The demo's commune lead submits Phường Cái Khế's list and the district officer approves it
through the portal's own forms (in this process); the approval's job renders and stores the
files. Then gunicorn serves the portal, and wrk downloads the stored PDF as the logged-in clerk:
session, permission, scope check, the audit row of each download, the bytes (from the local
copy the first download made of the stored file, named by its SHA-256). The baseline is a
route of the bench's bare app that reads the same row's bytes from the database with one SQL
statement and returns them: no session, no check, no audit, no local copy.
"""

from __future__ import annotations

import re

from sqlalchemy import create_engine, text

from bench.common import (
    Backend, BenchError, Row, Settings, WrkRun, gunicorn, median, migrate, note,
    run_wrk, scratch_database, seed_demo,
)
from bench.home_page import USER_AGENT, log_in
from bench.inprocess import csrf_token_of, logged_in_client, portal_app

RESIDENTS = 20_000
QUICK_RESIDENTS = 2_000
REPETITIONS = 3
QUICK_REPETITIONS = 1
WARM_UP_SECONDS = 2
TARGET = "p95 ≤ 50 ms"
TARGET_P95_MS = 50.0
# A download is one person's click: two connections keep both workers busy without measuring
# a queue in front of them (at -c8, each request would also wait for three others).
CONNECTIONS = 2


def title(settings: Settings) -> str:
    return f"approved list PDF download (gunicorn, 2 workers, wrk -c{CONNECTIONS})"


def approved_list(database_url: str) -> tuple[int, int, int]:
    """Submit and approve the demo commune's list, wait for its files: (list id, file id, bytes)."""
    from portal.extensions import db
    from portal.jobs import runner
    from portal.lists.models import ListFile

    with portal_app(database_url) as app:
        lead = logged_in_client(app, "commune_lead")
        answer = lead.post("/lists/submit", data={
            "csrf_token": csrf_token_of(lead, "/lists/preview"), "signer_name": "Nguyễn Văn Hùng"})
        found = re.search(r"/lists/(\d+)$", answer.headers.get("Location", ""))
        if answer.status_code != 302 or not found:
            raise BenchError(f"submitting the demo list: HTTP {answer.status_code}")
        list_id = int(found.group(1))
        officer = logged_in_client(app, "district_officer")
        answer = officer.post(f"/lists/{list_id}/approve",
                              data={"csrf_token": csrf_token_of(officer, f"/lists/{list_id}")})
        if answer.status_code != 302:
            raise BenchError(f"approving the demo list: HTTP {answer.status_code}")
        runner.join_threads(timeout=600)
        with app.app_context():
            stored = db.session.query(ListFile).filter_by(list_id=list_id, format="pdf",
                                                          final=True).one_or_none()
            if stored is None:
                raise BenchError("the approval's job stored no PDF")
            return list_id, stored.id, stored.size


def check_logged_in(status: int, html: str, what: str) -> None:
    """Refuse a login that did not land on a home page (the login form again, an error)."""
    if status != 200 or 'name="password"' in html:
        raise BenchError(f"{what}: HTTP {status}, not logged in")


def check_download(url: str, headers: list[str], size: int) -> None:
    """Refuse to measure anything but the stored PDF itself."""
    import requests

    answer = requests.get(url, headers=dict(h.split(": ", 1) for h in headers), timeout=30,
                          allow_redirects=False)
    if answer.status_code != 200 or not answer.content.startswith(b"%PDF-") \
            or len(answer.content) != size:
        raise BenchError(f"GET {url}: HTTP {answer.status_code}, {len(answer.content)} bytes, "
                         f"not the stored PDF of {size} bytes")


def run(backend: Backend, settings: Settings) -> list[Row]:
    count = QUICK_RESIDENTS if settings.quick else RESIDENTS
    repetitions = QUICK_REPETITIONS if settings.quick else REPETITIONS
    seconds = settings.wrk_seconds
    with scratch_database(backend) as url:
        migrate(url)
        seed_demo(url, count)
        list_id, file_id, size = approved_list(url)
        with create_engine(url).connect() as connection:
            rows = connection.scalar(text(
                "SELECT count(*) FROM compliance_list_rows WHERE list_id = :id"), {"id": list_id})
        note(f"approved list {list_id}: {rows:,} rows, PDF of {size / 1e6:.2f} MB")
        with gunicorn("wsgi:app", url) as portal, gunicorn("bench.bare_app:app", url) as bare:
            cookie = log_in(portal, "clerk", check_logged_in)
            headers = [f"Cookie: session={cookie}", f"User-Agent: {USER_AGENT}"]
            portal_url = f"{portal}/lists/{list_id}/download/pdf"
            bare_url = f"{bare}/bare-file/{file_id}"
            check_download(portal_url, headers, size)
            check_download(bare_url, [], size)
            run_wrk(portal_url, seconds=WARM_UP_SECONDS, headers=headers,
                    connections=CONNECTIONS)
            run_wrk(bare_url, seconds=WARM_UP_SECONDS, connections=CONNECTIONS)
            portal_runs: list[WrkRun] = []
            bare_runs: list[WrkRun] = []
            for repetition in range(1, repetitions + 1):
                portal_runs.append(run_wrk(portal_url, seconds=seconds, headers=headers,
                                           connections=CONNECTIONS))
                bare_runs.append(run_wrk(bare_url, seconds=seconds, connections=CONNECTIONS))
                note(f"download on {backend.name}, run {repetition}: portal "
                     f"{portal_runs[-1].rps:.0f}/s p95 {portal_runs[-1].p95_ms:.1f} ms, bare "
                     f"{bare_runs[-1].rps:.0f}/s p95 {bare_runs[-1].p95_ms:.1f} ms")
    p95 = median([r.p95_ms for r in portal_runs])
    bare_p95 = median([r.p95_ms for r in bare_runs])
    rps, bare_rps = median([r.rps for r in portal_runs]), median([r.rps for r in bare_runs])
    return [Row(
        benchmark=title(settings), database=backend.label,
        figure=f"p95 {p95:.1f} ms, p50 {median([r.p50_ms for r in portal_runs]):.1f} ms; "
               f"{rps:.0f} downloads/s",
        baseline=f"bare read of the same bytes from the database: p95 {bare_p95:.1f} ms, "
                 f"{bare_rps:.0f}/s",
        ratio=f"{rps / bare_rps:.2f}× the bare rate",
        target=f"{TARGET}: {'met' if p95 <= TARGET_P95_MS else 'MISSED'}",
        runs=f"median of {repetitions} × {seconds} s; {rows:,}-row list, PDF {size / 1e6:.2f} MB",
    )]
