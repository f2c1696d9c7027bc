"""Row: 50 visits sent as one request to the outbox's endpoint, against the same 50 visits sent
as 50 single saves of the card's form, one after another.

Both through the same gunicorn portal (2 workers), logged in as the screener, from one
`requests.Session` (keep-alive asked for; gunicorn's sync workers answer `Connection: close`,
so each request of either side opens its own loopback connection). The batch is what the
phone's outbox sends (JSON, the CSRF token of GET /offline/session, each visit with its client
id, resident, time recorded and form); the single saves are what the card's HTMX form sends
(the session cookie, the card's CSRF token, a fresh client id each). Every visit is an absent
knock on a resident a knock still records something for (an absent one stays so, so a
resident may be visited again), each side on the next residents in turn. Each visit must be
saved: every answer is checked, and the database must hold exactly 50 new knocks after each
side.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from bench.common import (
    Backend, BenchError, Row, Settings, gunicorn, median, migrate, note, scratch_database,
    seed_demo,
)
from bench.home_page import USER_AGENT, log_in
from bench.visit_save import form_token, residents_to_visit, screener_residents

RESIDENTS = 20_000
QUICK_RESIDENTS = 2_000
REPETITIONS = 15
QUICK_REPETITIONS = 3
VISITS = 50  # the most one batch may carry (portal.visits.batch.MAX_VISITS)
NOTE = "Vắng nhà"
# The batch endpoint's own limit is per user and per minute: far above what the runs send.
PORTAL_ENVIRONMENT = {"VISIT_BATCHES_PER_MINUTE": "100000 per minute"}
TARGET = "≥ 3× faster in total"
TARGET_RATIO = 3.0


def title(settings: Settings) -> str:
    return f"visit batch: {VISITS} visits in one request vs {VISITS} single saves"


def count_knocks(database_url: str) -> tuple[int, int]:
    """Visit rows, and knocks (client ids): a knock saves one row per campaign it screened."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows, knocks = conn.execute(text(
                "SELECT count(*), count(DISTINCT client_uuid) FROM visits")).one()
            return rows, knocks
    finally:
        engine.dispose()


def offline_token(browser, base_url: str) -> str:
    """The CSRF token the outbox asks for before it sends."""
    answer = browser.get(f"{base_url}/offline/session", timeout=30,
                         headers={"Accept": "application/json"})
    token = answer.json().get("csrf") if answer.status_code == 200 else None
    if not token:
        raise BenchError(f"GET /offline/session: HTTP {answer.status_code}, no CSRF token")
    return token


def send_batch(browser, base_url: str, token: str, residents: list[int]) -> float:
    """One POST /visits/batch of an absent knock for each resident; its milliseconds."""
    # Recorded now, as the phone dates it: a visit recorded before the resident's latest would
    # be refused (a visit since).
    recorded_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    visits = []
    for resident_id in residents:
        client_uuid = str(uuid.uuid4())
        visits.append({"client_uuid": client_uuid, "resident_id": resident_id,
                       "recorded_at": recorded_at,
                       "form": {"client_uuid": client_uuid, "outcome": "absent",
                                "campaign_ids": "", "note": NOTE}})
    body = json.dumps({"visits": visits}, ensure_ascii=False).encode()
    headers = {"X-CSRFToken": token, "Accept": "application/json",
               "Content-Type": "application/json"}
    started = time.perf_counter()
    answer = browser.post(f"{base_url}/visits/batch", data=body, headers=headers, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise BenchError(f"POST /visits/batch: HTTP {answer.status_code}: {answer.text[:200]}")
    results = answer.json()["results"]
    sent = [v["client_uuid"] for v in visits]
    if [r["client_uuid"] for r in results] != sent:
        raise BenchError(f"POST /visits/batch answered {len(results)} visits of {len(sent)}")
    unsaved = [r for r in results if r["status"] != "saved"]
    if unsaved:
        raise BenchError(f"POST /visits/batch: {len(unsaved)} visits not saved, the first "
                         f"{unsaved[0]['status']}: {unsaved[0]['message']}")
    return elapsed


def send_singles(browser, base_url: str, token: str, residents: list[int]) -> float:
    """An absent knock for each resident, one POST of the card's form after another; their
    milliseconds in all."""
    forms = [(resident_id, {"csrf_token": token, "client_uuid": str(uuid.uuid4()),
                            "outcome": "absent", "note": NOTE})
             for resident_id in residents]
    statuses = []
    started = time.perf_counter()
    for resident_id, form in forms:
        answer = browser.post(f"{base_url}/residents/{resident_id}/visits", data=form,
                              headers={"HX-Request": "true"}, timeout=60)
        statuses.append(answer.status_code)
    elapsed = (time.perf_counter() - started) * 1000
    refused = [(r, s) for (r, _), s in zip(forms, statuses) if s != 200]
    if refused:
        raise BenchError(f"{len(refused)} single saves not answered 200, the first: "
                         f"POST /residents/{refused[0][0]}/visits HTTP {refused[0][1]}")
    return elapsed


def run(backend: Backend, settings: Settings) -> list[Row]:
    import requests

    count = QUICK_RESIDENTS if settings.quick else RESIDENTS
    repetitions = QUICK_REPETITIONS if settings.quick else REPETITIONS
    with scratch_database(backend) as url:
        migrate(url)
        seed_demo(url, count)
        ids = residents_to_visit(url, screener_residents(url))
        if not ids:
            raise BenchError("the demo's screener has no adult residents left to visit")
        # Fresh residents in turn, each side its own; past the end, those visited already.
        residents = itertools.cycle(ids)
        with gunicorn("wsgi:app", url, env=PORTAL_ENVIRONMENT) as portal, \
                requests.Session() as browser:
            cookie = log_in(portal)
            # The cookie as wrk sends it: one session, whatever a response sets.
            browser.headers.update({"Cookie": f"session={cookie}", "User-Agent": USER_AGENT})
            card_token = form_token(portal, cookie, ids[0])
            batch_token = offline_token(browser, portal)
            batch_ms: list[float] = []
            single_ms: list[float] = []

            def measure(side: str) -> float:
                chosen = list(itertools.islice(residents, VISITS))
                rows, knocks = count_knocks(url)
                if side == "batch":
                    elapsed = send_batch(browser, portal, batch_token, chosen)
                else:
                    elapsed = send_singles(browser, portal, card_token, chosen)
                rows_after, knocks_after = count_knocks(url)
                if knocks_after - knocks != VISITS or rows_after - rows < VISITS:
                    raise BenchError(f"{side}: {VISITS} visits sent, {knocks_after - knocks} "
                                     f"knocks ({rows_after - rows} rows) saved")
                return elapsed

            measure("batch")  # warm-up: imports, templates, connection pools, caches
            measure("single")
            for repetition in range(1, repetitions + 1):
                # Alternate the two, and which goes first, so a slow spell hits both alike.
                order = ("batch", "single") if repetition % 2 else ("single", "batch")
                for side in order:
                    (batch_ms if side == "batch" else single_ms).append(measure(side))
                note(f"visit batch on {backend.name}, run {repetition}: batch "
                     f"{batch_ms[-1]:.0f} ms, singles {single_ms[-1]:.0f} ms")
    batch, single = median(batch_ms), median(single_ms)
    ratio = single / batch
    met = "met" if ratio >= TARGET_RATIO else "MISSED"
    return [Row(
        benchmark=title(settings), database=backend.label,
        figure=f"batch of {VISITS}: p50 {batch:.0f} ms total ({batch / VISITS:.1f} ms per visit)",
        baseline=f"{VISITS} single saves one after another: p50 {single:.0f} ms total "
                 f"({single / VISITS:.1f} ms per visit)",
        ratio=f"{ratio:.1f}× faster", target=f"{TARGET}: {met}",
        runs=f"median of {repetitions}, keep-alive asked (sync workers close), gunicorn 2 "
             f"workers, {len(ids):,} residents to visit",
    )]
