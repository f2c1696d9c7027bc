"""Row: 16 screeners' knocks, with double taps and replays, while gunicorn's workers are SIGKILLed.

Each screener has an account of their own (made by `flask users create`, given the demo
screener's hamlets), logs in through the login form and records knocks as the card's HTMX form
sends them, on residents who still need one: the card's own form with its CSRF token and client
id. A quarter of the knocks are double taps (the same form sent twice at once on two
connections); a tenth lose their first answer (a 50 ms read timeout, as on 3G); any knock whose
request went unanswered (cut, timed out, 5xx) is sent again, same client id, until answered, as
a phone would. Login throttling lives in Redis, as in production.

Two passes by the same clients on the same server: the first without a kill (the baseline),
then one while the harness SIGKILLs a worker twice (at a third and two thirds of the knocks,
the second once the master has replaced the first). Afterwards the database says what was
stored, doubled (a client id with two rows for one campaign) or lost (acknowledged, not stored).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import signal
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, select, text

from bench.common import (
    DEMO_PASSWORD, Backend, BenchError, Row, Server, Settings, gunicorn_server, migrate, note,
    scratch_database, seed_demo, worker_pids,
)
from bench.home_page import USER_AGENT, check_home_page, log_in
from bench.inprocess import portal_app

# Two passes of CLIENTS × KNOCKS need twice that many residents still to visit in the demo
# screener's three hamlets: about 6 % of the residents seeded are.
RESIDENTS = 40_000
QUICK_RESIDENTS = 4_000
CLIENTS = 16
KNOCKS = 60
QUICK_KNOCKS = 5
WORKERS = 2
KILLS = 2
DOUBLE_TAP_SHARE = 0.25
CUT_SHARE = 0.10
CUT_READ_TIMEOUT = 0.05
CONNECT_TIMEOUT = 5.0
# Longer than gunicorn's 30 s worker timeout: a request that slow is gunicorn's to kill.
READ_TIMEOUT = 40.0
MAX_ATTEMPTS = 20
PASS_TIMEOUT = 900.0
RESPAWN_TIMEOUT = 60.0
# A database of its own on the local Redis, flushed before the run (BENCH_REDIS_URL to move it).
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "").strip() or "redis://127.0.0.1:6379/13"
USERNAME_PREFIX = "bench.screener"
SEED = 13
# gunicorn settings that note each worker once it has loaded the app (a replacement's too).
READY_HOOK = Path(__file__).resolve().parent / "gunicorn_ready.py"
# What a screener picks on the card, and how often (per_campaign only when it lists several).
OUTCOMES = (("willing", 35), ("absent", 30), ("refused", 15), ("up_to_date", 10),
            ("per_campaign", 10))
REFUSAL_NOTE = "Gia đình muốn hỏi ý kiến bác sĩ trước"
TARGET = "0 lost, 0 doubled, every knock acknowledged"


def title(settings: Settings) -> str:
    return (f"reliability: {CLIENTS} screeners, double taps and replays, "
            f"SIGKILL ×{KILLS} (gunicorn, {WORKERS} workers)")


# --- setting up ----------------------------------------------------------------------------


def usernames() -> list[str]:
    return [f"{USERNAME_PREFIX}{n:02d}" for n in range(1, CLIENTS + 1)]


def create_screeners(database_url: str) -> list[int]:
    """The bench's screener accounts, each with the demo screener's hamlets; the residents of
    those hamlets who still need a knock (some open campaign to record), by id.

    The accounts are made by `flask users create` itself, run in this process (one start-up for
    sixteen, not sixteen); the command cannot bind hamlets, so one INSERT copies the demo
    screener's, as the admin's account form would store them.
    """
    from portal.auth.models import User
    from portal.campaigns.active import open_campaigns
    from portal.extensions import db
    from portal.residents.models import Resident, ResidentStatus
    from portal.timeutil import today_local
    from portal.visits.standings import standings_in

    with portal_app(database_url) as app:
        with app.app_context():
            demo = db.session.scalar(select(User).where(User.username == "screener"))
            if demo is None or not demo.hamlets:
                raise BenchError("the demo has no screener bound to hamlets")
            demo_id, unit_code = demo.id, demo.unit.code
        runner = app.test_cli_runner()
        for number, username in enumerate(usernames(), start=1):
            done = runner.invoke(args=[
                "users", "create", username, "--role", "screener", "--unit", unit_code,
                "--full-name", f"Tổ rà soát {number:02d}", "--password", DEMO_PASSWORD])
            if done.exit_code != 0:
                raise BenchError(f"`flask users create {username}` failed: {done.output.strip()}")
        with app.app_context():
            db.session.execute(text(
                "INSERT INTO user_hamlets (user_id, hamlet_id)"
                " SELECT u.id, h.hamlet_id FROM users u CROSS JOIN user_hamlets h"
                " WHERE u.username LIKE :prefix AND h.user_id = :demo"),
                {"prefix": USERNAME_PREFIX + "%", "demo": demo_id})
            db.session.commit()
            screener = db.session.scalar(select(User).where(User.username == usernames()[0]))
            people = list(db.session.scalars(select(Resident).where(
                Resident.hamlet_id.in_([h.id for h in screener.hamlets]),
                Resident.status == ResidentStatus.PRESENT).order_by(Resident.id)))
            standings = standings_in(open_campaigns(screener), people, today_local())
            return [p.id for p in people if any(s.to_record for s in standings[p.id])]


def flush_redis() -> None:
    """Empty the bench's Redis database, so no throttling is left from an earlier run."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=5).flushdb()
    except redis.RedisError as error:
        raise BenchError(f"Redis at {REDIS_URL} is not usable: {error}") from error


# --- the card's forms, as a browser sends them ---------------------------------------------


class CardForms(HTMLParser):
    """The card's visit forms, each as the browser would send it untouched (its fields in order,
    with their current values), keyed by the outcome it records; and the CSRF token that htmx
    sends as a header (hx-headers on <body>)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, list[list[str]]] = {}
        self.options: dict[str, dict[str, list[str]]] = {}
        self.header_token: str | None = None
        self._fields: list[list[str]] | None = None
        self._options: dict[str, list[str]] = {}
        self._select: list[str] | None = None
        self._textarea: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "body" and attributes.get("hx-headers"):
            self.header_token = json.loads(attributes["hx-headers"]).get("X-CSRFToken")
        elif tag == "form" and (attributes.get("action") or "").endswith("/visits"):
            self._fields, self._options = [], {}
        elif self._fields is None or not (attributes.get("name") or tag == "option"):
            return
        elif tag == "input":
            self._fields.append([attributes["name"], attributes.get("value") or ""])
        elif tag == "textarea":
            self._textarea = [attributes["name"], ""]
            self._fields.append(self._textarea)
        elif tag == "select":
            self._select = [attributes["name"], None]
            self._fields.append(self._select)
            self._options[attributes["name"]] = []
        elif tag == "option" and self._select is not None:
            value = attributes.get("value") or ""
            self._options[self._select[0]].append(value)
            if "selected" in attributes and self._select[1] is None:
                self._select[1] = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            # HTML drops the newline right after <textarea> (WTForms writes one): so does this.
            value = self._textarea[1]
            self._textarea[1] = value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if self._select[1] is None:  # nothing selected: the browser sends the first option
                self._select[1] = (self._options[self._select[0]] or [""])[0]
            self._select = None
        elif tag == "form" and self._fields is not None:
            outcome = next((value for name, value in self._fields if name == "outcome"), "")
            self.forms[outcome] = self._fields
            self.options[outcome] = self._options
            self._fields = None


def filled_form(card: CardForms, outcome: str, rng: random.Random) -> list[tuple[str, str]]:
    """The fields of the card's form for outcome, filled as a screener would fill them."""
    fields = [(name, value) for name, value in card.forms[outcome]]
    options = card.options[outcome]
    chosen: dict[str, str] = {}
    if outcome == "refused":
        chosen = {"refusal_reason": rng.choice([v for v in options["refusal_reason"] if v]),
                  "note": REFUSAL_NOTE}
    elif outcome == "per_campaign":  # willing for the first campaign, absent for the others
        for position, name in enumerate(n for n in options if n.startswith("outcome_")):
            chosen[name] = "willing" if position == 0 else "absent"
    return [(name, chosen.get(name, value)) for name, value in fields]


# --- the screeners -------------------------------------------------------------------------


@dataclass
class Attempt:
    """One HTTP request of a save: its answer (None when none came) and its own time."""

    status: int | None
    failure: str  # "" when answered; "cut" (connection lost) or "timeout"
    ms: float
    saved: int  # the campaigns the saved fragment lists; 0 when it is not that fragment
    alert: str = ""  # what the page said instead, if it said something (role="alert")


@dataclass
class Knock:
    """One knock on a door, as the phone lived it."""

    username: str
    resident_id: int
    double_tap: bool
    cut: bool
    client_uuid: str = ""
    outcome: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: int = 0  # campaigns in the saved answer; 0 when never acknowledged
    answer: str = ""  # the answer that stopped the replays short of an acknowledgement

    @property
    def replays(self) -> int:
        return len(self.attempts) - (2 if self.double_tap else 1)


def answered(attempt: Attempt) -> bool:
    """An answer a phone shows as final: anything but no answer or a server error."""
    return attempt.status is not None and attempt.status < 500


class Screener:
    """One phone: its own account and session, two connections for a double tap."""

    def __init__(self, base_url: str, username: str) -> None:
        import requests

        self.base_url, self.username = base_url, username
        self.cookie = log_in(base_url, username, check_home_page)
        # requests' sessions are not shared across threads: one for each of the two taps.
        self.lanes = (requests.Session(), requests.Session())
        self.twin = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{username}-twin")
        self.card_reloads: Counter[str] = Counter()  # cards asked for again, by why

    def close(self) -> None:
        self.twin.shutdown(wait=True)
        for lane in self.lanes:
            lane.close()

    def _headers(self) -> dict[str, str]:
        return {"Cookie": f"session={self.cookie}", "User-Agent": USER_AGENT}

    def _keep_cookie(self, answer) -> None:
        # Flask sends the session cookie again on every answer; a browser keeps the newest.
        cookie = answer.cookies.get("session")
        if cookie:
            self.cookie = cookie

    def card(self, resident_id: int) -> CardForms:
        """GET the card, again if it goes unanswered (a kill), as the screener reloads it."""
        import requests

        url = f"{self.base_url}/residents/{resident_id}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                answer = self.lanes[0].get(url, headers=self._headers(), allow_redirects=False,
                                           timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
            except requests.Timeout:
                answer, why = None, "timed out"
            except requests.RequestException:
                answer, why = None, "cut"
            else:
                why = f"HTTP {answer.status_code}"
            if answer is not None and answer.status_code < 500:
                break
            self.card_reloads[why] += 1
            time.sleep(min(0.25 * attempt, 2.0))
        else:
            raise BenchError(f"{self.username}: GET {url} unanswered {MAX_ATTEMPTS} times")
        if answer.status_code != 200:
            raise BenchError(f"{self.username}: GET {url}: HTTP {answer.status_code}")
        self._keep_cookie(answer)
        forms = CardForms()
        forms.feed(answer.text)
        if not forms.forms or not forms.header_token:
            raise BenchError(f"{self.username}: {url} shows no visit form")
        return forms

    def _post(self, lane: int, resident_id: int, body: bytes, token: str,
              read_timeout: float) -> Attempt:
        """One save request, with the headers htmx sends for the card's form."""
        import requests

        card_url = f"{self.base_url}/residents/{resident_id}"
        headers = {**self._headers(), "HX-Request": "true", "HX-Target": "record",
                   "HX-Current-URL": card_url, "X-CSRFToken": token,
                   "Content-Type": "application/x-www-form-urlencoded"}
        started = time.perf_counter()
        try:
            answer = self.lanes[lane].post(card_url + "/visits", data=body, headers=headers,
                                           allow_redirects=False,
                                           timeout=(CONNECT_TIMEOUT, read_timeout))
        except requests.Timeout:
            return Attempt(None, "timeout", (time.perf_counter() - started) * 1000, 0)
        except requests.RequestException:  # reset, closed: the worker died under it
            return Attempt(None, "cut", (time.perf_counter() - started) * 1000, 0)
        ms = (time.perf_counter() - started) * 1000
        self._keep_cookie(answer)
        page = answer.text
        saved = page.count("<p>✓") if answer.status_code == 200 and 'class="saved"' in page else 0
        alert = re.search(r'role="alert"[^>]*>(.*?)<', page, re.S) if not saved else None
        return Attempt(answer.status_code, "", ms, saved, " ".join(alert.group(1).split()) if alert else "")

    def knock(self, resident_id: int, rng: random.Random) -> Knock:
        """Open the card, pick an outcome, send it (twice at once for a double tap), and send it
        again, same form, until it is answered."""
        knock = Knock(self.username, resident_id, double_tap=rng.random() < DOUBLE_TAP_SHARE,
                      cut=rng.random() < CUT_SHARE)
        wanted = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
        card = self.card(resident_id)
        knock.outcome = wanted if wanted in card.forms else "willing"
        fields = filled_form(card, knock.outcome, rng)
        knock.client_uuid = dict(fields)["client_uuid"]
        body = urlencode(fields).encode()
        first_timeout = CUT_READ_TIMEOUT if knock.cut else READ_TIMEOUT
        if knock.double_tap:
            twin = self.twin.submit(self._post, 1, resident_id, body, card.header_token,
                                    READ_TIMEOUT)
            knock.attempts.append(self._post(0, resident_id, body, card.header_token,
                                             first_timeout))
            knock.attempts.append(twin.result(timeout=READ_TIMEOUT + CONNECT_TIMEOUT + 5))
        else:
            knock.attempts.append(self._post(0, resident_id, body, card.header_token,
                                             first_timeout))
        while True:
            knock.acknowledged = max(a.saved for a in knock.attempts)
            final = [a for a in knock.attempts if answered(a)]
            if knock.acknowledged or final:
                if not knock.acknowledged:
                    alert = final[0].alert
                    knock.answer = f"HTTP {final[0].status}" + (
                        f" “{alert[:40]}…”" if len(alert) > 40 else f" “{alert}”" if alert else "")
                    note(f"{self.username}: knock {knock.client_uuid} on resident {resident_id} "
                         f"not acknowledged: HTTP {final[0].status} {alert}")
                return knock
            if len(knock.attempts) >= MAX_ATTEMPTS:
                knock.answer = f"unanswered {MAX_ATTEMPTS} times"
                return knock
            time.sleep(min(0.25 * knock.replays + 0.25, 2.0))
            knock.attempts.append(self._post(0, resident_id, body, card.header_token,
                                             READ_TIMEOUT))


# --- the kills -----------------------------------------------------------------------------


class Killer(threading.Thread):
    """SIGKILLs one of gunicorn's workers as the knocks done pass each threshold, and waits for
    the master's replacement to have loaded the app before the next."""

    def __init__(self, master_pid: int, ready: Path, thresholds: list[int], progress,
                 done: threading.Event, rng: random.Random) -> None:
        super().__init__(name="killer", daemon=True)
        self.master_pid, self.ready, self.thresholds = master_pid, ready, thresholds
        self.progress, self.done, self.rng = progress, done, rng
        self.respawns: list[float] = []
        self.error: str | None = None

    def run(self) -> None:
        for threshold in self.thresholds:
            while self.progress() < threshold:
                if self.done.wait(0.05):
                    return
            workers = sorted(worker_pids(self.master_pid))
            if len(workers) < WORKERS:
                self.error = f"gunicorn has {len(workers)} workers, not {WORKERS}"
                return
            victim = self.rng.choice(workers)
            os.kill(victim, signal.SIGKILL)
            killed = time.monotonic()
            note(f"SIGKILL worker {victim} after {self.progress()} knocks")
            while True:
                now = worker_pids(self.master_pid)
                if victim not in now and len(now & ready_workers(self.ready)) >= WORKERS:
                    self.respawns.append(time.monotonic() - killed)
                    break
                if time.monotonic() - killed > RESPAWN_TIMEOUT:
                    self.error = f"no worker replaced {victim} within {RESPAWN_TIMEOUT:.0f} s"
                    return
                time.sleep(0.02)


def ready_workers(ready: Path) -> set[int]:
    """The workers that have loaded the app, as bench/gunicorn_ready.py writes them down."""
    try:
        return {int(line) for line in ready.read_text(encoding="ascii").split()}
    except FileNotFoundError:
        return set()


def wait_for_workers(master_pid: int, ready: Path) -> None:
    """Until every worker has loaded the app: the first pass should not measure their start."""
    deadline = time.monotonic() + RESPAWN_TIMEOUT
    while len(worker_pids(master_pid) & ready_workers(ready)) < WORKERS:
        if time.monotonic() > deadline:
            raise BenchError(f"gunicorn's {WORKERS} workers not ready after {RESPAWN_TIMEOUT:.0f} s")
        time.sleep(0.05)


# --- a pass --------------------------------------------------------------------------------


@dataclass
class Pass:
    """What one pass did, on the phones' side."""

    knocks: list[Knock]
    seconds: float
    respawns: list[float]
    card_reloads: Counter[str]

    def latencies(self) -> list[float]:
        """Each save request that got the saved fragment, its own time: a replay's last attempt
        and both taps of a double tap count, a request that got no answer does not."""
        return [a.ms for k in self.knocks for a in k.attempts if a.saved]


def run_pass(screeners: list[Screener], residents: list[list[int]], seed: str,
             server: Server | None = None, ready: Path | None = None) -> Pass:
    """Every screener knocks at its residents in turn; with a server, its workers are killed."""
    knocks: list[list[Knock]] = [[] for _ in screeners]
    errors: list[str] = []
    done = threading.Event()
    total = sum(len(r) for r in residents)

    def walk(position: int) -> None:
        rng = random.Random(f"{seed}-{position}")
        try:
            for resident_id in residents[position]:
                knocks[position].append(screeners[position].knock(resident_id, rng))
        except Exception as error:  # reported below: one broken phone fails the pass
            errors.append(f"{screeners[position].username}: {error}")

    killer = None
    if server is not None:
        thresholds = [total * (n + 1) // (KILLS + 1) for n in range(KILLS)]
        killer = Killer(server.pid, ready, thresholds, lambda: sum(len(k) for k in knocks), done,
                        random.Random(seed))
        killer.start()
    reloads_before = sum((s.card_reloads for s in screeners), Counter())
    started = time.monotonic()
    threads = [threading.Thread(target=walk, args=(n,), name=s.username, daemon=True)
               for n, s in enumerate(screeners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, PASS_TIMEOUT - (time.monotonic() - started)))
    seconds = time.monotonic() - started
    done.set()
    if killer is not None:
        killer.join(timeout=RESPAWN_TIMEOUT + 5)
    if any(thread.is_alive() for thread in threads):
        raise BenchError(f"the screeners were not done after {PASS_TIMEOUT:.0f} s")
    if errors:
        raise BenchError("; ".join(errors[:3]))
    if killer is not None:
        if killer.error:
            raise BenchError(killer.error)
        if len(killer.respawns) < KILLS:
            raise BenchError(f"the knocks were done after {len(killer.respawns)} of {KILLS} kills")
    return Pass([k for walked in knocks for k in walked], seconds,
                killer.respawns if killer else [],
                sum((s.card_reloads for s in screeners), Counter()) - reloads_before)


def report_server_errors(server: Server) -> None:
    """The tracebacks gunicorn logged, on stderr, before its log is removed with it."""
    lines = server.log.read_text(errors="replace").splitlines()
    errors = [n for n, line in enumerate(lines)
              if ("Traceback" in line or "[ERROR]" in line) and "was sent SIGKILL" not in line]
    if errors:
        note(f"gunicorn logged {len(errors)} errors; the first:\n"
             + "\n".join(lines[errors[0]:errors[0] + 40]))


# --- what the database kept ----------------------------------------------------------------


@dataclass
class Tally:
    """A pass's knocks against the visit rows the database holds."""

    knocks: int
    acknowledged: int
    stored: int
    doubled: list[str]
    lost: list[str]
    misfiled: list[str]
    unacknowledged: dict[str, int]


def bench_visits(database_url: str) -> list[tuple[str, int, int, str]]:
    """Every visit the bench's screeners recorded: client id, campaign, resident, user name."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(
                "SELECT v.client_uuid, v.campaign_id, v.resident_id, u.username FROM visits v"
                " JOIN users u ON u.id = v.user_id WHERE u.username LIKE :prefix"),
                {"prefix": USERNAME_PREFIX + "%"})]
    finally:
        engine.dispose()


def tally(knocks: list[Knock], visits: list[tuple[str, int, int, str]]) -> Tally:
    """Stored: the knocks whose client id has visit rows. Doubled: a client id with more than one
    row for a campaign. Lost: acknowledged, but fewer campaigns stored than the answer listed.
    Misfiled: a row of the knock's client id on another resident or by another screener."""
    rows: dict[str, list[tuple[int, int, str]]] = {}
    for client_uuid, campaign_id, resident_id, username in visits:
        rows.setdefault(client_uuid, []).append((campaign_id, resident_id, username))
    doubled, lost, misfiled = [], [], []
    unacknowledged: dict[str, int] = {}
    for knock in knocks:
        mine = rows.get(knock.client_uuid, [])
        campaigns = [campaign for campaign, _, _ in mine]
        if len(campaigns) != len(set(campaigns)):
            doubled.append(knock.client_uuid)
        if knock.acknowledged and len(set(campaigns)) < knock.acknowledged:
            lost.append(knock.client_uuid)
        if any((r, u) != (knock.resident_id, knock.username) for _, r, u in mine):
            misfiled.append(knock.client_uuid)
        if not knock.acknowledged:
            unacknowledged[knock.answer] = unacknowledged.get(knock.answer, 0) + 1
    return Tally(
        knocks=len(knocks), acknowledged=sum(1 for k in knocks if k.acknowledged),
        stored=sum(1 for k in knocks if k.client_uuid in rows), doubled=doubled, lost=lost,
        misfiled=misfiled, unacknowledged=unacknowledged,
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the value below which `share` of them lie."""
    if not values:
        raise BenchError("no save was acknowledged")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def describe(result: Tally, latencies: list[float]) -> str:
    """A pass as the row reads it."""
    words = (f"{result.acknowledged} acknowledged, {result.stored} stored, "
             f"{len(result.doubled)} doubled, {len(result.lost)} lost")
    if result.misfiled:
        words += f", {len(result.misfiled)} misfiled"
    if result.unacknowledged:
        words += " (not acknowledged: " + ", ".join(
            f"{answer} ×{n}" for answer, n in sorted(result.unacknowledged.items())) + ")"
    return (f"{words}; save p50 {percentile(latencies, 0.5):.0f} ms, "
            f"p95 {percentile(latencies, 0.95):.0f} ms")


def requests_seen(done: Pass) -> str:
    """How the phones fared: double taps, replays, save requests cut or timed out, cards
    loaded again."""
    knocks = done.knocks
    attempts = [a for k in knocks for a in k.attempts]
    cut = sum(1 for a in attempts if a.failure == "cut")
    timed_out = sum(1 for a in attempts if a.failure == "timeout")
    errors = sum(1 for a in attempts if a.status is not None and a.status >= 500)
    # A tap answered with something else than the saved fragment, its knock saved or not.
    other = Counter(f"HTTP {a.status}" for a in attempts if answered(a) and not a.saved)
    others = ", ".join(f"{n} {answer}" for answer, n in sorted(other.items())) or "none"
    return (f"{sum(k.double_tap for k in knocks)} double taps, "
            f"{sum(k.replays for k in knocks)} replays ({cut} cut, {timed_out} timed out, "
            f"{errors} 5xx), taps answered but not with the saved fragment: {others}, "
            f"{reloads(done.card_reloads)}")


def reloads(why: Counter[str]) -> str:
    """Cards asked for again, and why."""
    if not why:
        return "no card loaded again"
    return (f"{sum(why.values())} cards loaded again ("
            + ", ".join(f"{n} {reason}" for reason, n in sorted(why.items())) + ")")


# --- the row -------------------------------------------------------------------------------


def run(backend: Backend, settings: Settings) -> list[Row]:
    count = QUICK_RESIDENTS if settings.quick else RESIDENTS
    per_client = QUICK_KNOCKS if settings.quick else KNOCKS
    wanted = 2 * CLIENTS * per_client
    with scratch_database(backend) as url, tempfile.TemporaryDirectory() as folder:
        migrate(url)
        seed_demo(url, count)
        to_visit = create_screeners(url)
        note(f"{CLIENTS} screeners created; {len(to_visit):,} residents in their hamlets to visit")
        if len(to_visit) < wanted:
            raise BenchError(f"{len(to_visit)} residents still to visit in the screener's "
                             f"hamlets at {count:,} residents; the two passes need {wanted}")
        random.Random(SEED).shuffle(to_visit)
        # Each pass, each screener: residents of their own, so no knock meets another's.
        shares = [[to_visit[(p * CLIENTS + c) * per_client:(p * CLIENTS + c + 1) * per_client]
                   for c in range(CLIENTS)] for p in range(2)]
        flush_redis()
        ready = Path(folder) / "ready-workers"
        with gunicorn_server("wsgi:app", url, workers=WORKERS, args=["--config", str(READY_HOOK)],
                             env={"REDIS_URL": REDIS_URL,
                                  "BENCH_WORKER_READY_FILE": str(ready)}) as server:
            wait_for_workers(server.pid, ready)
            screeners: list[Screener] = []
            try:
                for name in usernames():  # each logs in through the login form
                    screeners.append(Screener(server.url, name))
                for screener, share in zip(screeners, shares[0]):
                    screener.card(share[0])  # warm-up: templates, pools, caches; saves nothing
                baseline = run_pass(screeners, shares[0], f"{SEED}-baseline")
                note(f"reliability on {backend.name}, no kill: {len(baseline.knocks)} knocks in "
                     f"{baseline.seconds:.1f} s")
                killed = run_pass(screeners, shares[1], f"{SEED}-killed", server, ready)
                note(f"reliability on {backend.name}, {KILLS} kills: {len(killed.knocks)} knocks "
                     f"in {killed.seconds:.1f} s")
            finally:
                for screener in screeners:
                    screener.close()
                report_server_errors(server)
        # Read once gunicorn has stopped: nothing is still being written.
        visits = bench_visits(url)
    results = {name: tally(done.knocks, visits)
               for name, done in (("baseline", baseline), ("killed", killed))}
    broken = [f"{name}: {kind} {', '.join(ids)}"
              for name, result in results.items()
              for kind, ids in (("doubled", result.doubled), ("lost", result.lost),
                                ("misfiled", result.misfiled)) if ids]
    if broken:
        for line in broken:
            note(f"reliability on {backend.name}: {line}")
        raise BenchError("knocks lost or doubled (client ids): " + "; ".join(broken)[:600])
    killed_p95 = percentile(killed.latencies(), 0.95)
    baseline_p95 = percentile(baseline.latencies(), 0.95)
    every = all(r.acknowledged == r.knocks for r in results.values())
    respawns = ", ".join(f"{s:.1f}" for s in killed.respawns)
    return [Row(
        benchmark=title(settings), database=backend.label,
        figure=describe(results["killed"], killed.latencies()),
        baseline=f"no kill: {describe(results['baseline'], baseline.latencies())}",
        ratio=f"p95 {killed_p95 / baseline_p95:.2f}× without kills",
        target=f"{TARGET}: {'met' if every else 'MISSED'}",
        runs=f"1 pass each, {CLIENTS} clients × {per_client} knocks; with kills: "
             f"{requests_seen(killed)}, a new worker serving {respawns} s after each kill, "
             f"{killed.seconds:.0f} s; without: {requests_seen(baseline)}, "
             f"{baseline.seconds:.0f} s; {count:,} residents",
    )]
