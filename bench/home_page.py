"""Row: requests per second of the screener's home page, logged in, against a bare render of it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bench.common import (
    DEMO_PASSWORD, Backend, BenchError, Row, Settings, WrkRun, gunicorn, median, migrate, note,
    run_wrk, scratch_database, seed_demo,
)

RESIDENTS = 20_000
QUICK_RESIDENTS = 2_000
REPETITIONS = 3
QUICK_REPETITIONS = 1
WARM_UP_SECONDS = 2
USERNAME = "screener"
# Flask-Login's session protection hashes the User-Agent into the session: the login (requests)
# and the load (wrk) must send the same one, or every wrk request rewrites the session cookie.
USER_AGENT = "tungnha-bench"
TARGET = "p95 ≤ 250 ms; ratio ≥ 0.25"
TARGET_P95_MS = 250.0
TARGET_RATIO = 0.25
# On the screener's home page only: the list of hamlets. The login page has a password field.
HOME_MARKER = 'id="hamlets"'


def title(settings: Settings) -> str:
    """The row's name."""
    return "home page, logged in (gunicorn, 2 workers)"


class _CsrfField(HTMLParser):
    """Finds the value of the hidden `csrf_token` input of a form."""

    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def handle_starttag(self, tag, attrs):
        fields = dict(attrs)
        if tag == "input" and fields.get("name") == "csrf_token" and self.token is None:
            self.token = fields.get("value")


def log_in(base_url: str, username: str = USERNAME, check=None) -> str:
    """Log in as a demo account (the screener) the way a browser does; the session cookie to
    load with. check(status, html, what) refuses a page that is not the account's home."""
    check = check or check_home_page
    import requests

    with requests.Session() as browser:
        browser.headers["User-Agent"] = USER_AGENT
        page = browser.get(base_url + "/login", timeout=10)
        parser = _CsrfField()
        parser.feed(page.text)
        if page.status_code != 200 or not parser.token:
            raise BenchError(f"GET /login: HTTP {page.status_code}, no csrf_token field")
        answer = browser.post(
            base_url + "/login",
            data={"csrf_token": parser.token, "username": username, "password": DEMO_PASSWORD},
            timeout=30,
        )
        check(answer.status_code, answer.text, "POST /login then GET /")
        # The first page after login adds the CSRF token to the session; a browser would keep
        # that newer cookie, so the load carries it too (else each request would re-add it).
        home = browser.get(base_url + "/", timeout=30, allow_redirects=False)
        check(home.status_code, home.text, "GET / with the session cookie")
        cookie = browser.cookies.get("session")
        if not cookie:
            raise BenchError("no session cookie after logging in")
        return cookie


def check_home_page(status: int, html: str, what: str) -> None:
    """Refuse to measure anything but the screener's home page (a login page is fast, and wrong)."""
    if status != 200 or HOME_MARKER not in html or 'name="password"' in html:
        raise BenchError(f"{what}: HTTP {status}, not the screener's home page: "
                         f"{' '.join(re.sub('<[^>]+>', ' ', html).split())[:200]}")


def check_bare_page(base_url: str) -> int:
    """The bare page must be the same page: the count of hamlet cards, to compare with the portal's."""
    import requests

    page = requests.get(base_url + "/bare", timeout=30, headers={"User-Agent": USER_AGENT})
    check_home_page(page.status_code, page.text, "GET /bare")
    return page.text.count('class="card hamlet-link"')


def run(backend: Backend, settings: Settings) -> list[Row]:
    """Seed once, serve portal and baseline side by side, load each in turn; compare medians."""
    count = QUICK_RESIDENTS if settings.quick else RESIDENTS
    repetitions = QUICK_REPETITIONS if settings.quick else REPETITIONS
    seconds = settings.wrk_seconds
    with scratch_database(backend) as url:
        migrate(url)
        seed_seconds, _ = seed_demo(url, count)
        note(f"seeded {count:,} residents on {backend.name} in {seed_seconds:.1f} s")
        with gunicorn("wsgi:app", url) as portal, gunicorn("bench.bare_app:app", url) as bare:
            cookie = log_in(portal)
            headers = [f"Cookie: session={cookie}", f"User-Agent: {USER_AGENT}"]
            home = _get(portal + "/", headers)
            check_home_page(*home, "GET / as wrk will send it")
            portal_cards = home[1].count('class="card hamlet-link"')
            bare_cards = check_bare_page(bare)
            if portal_cards != bare_cards:
                raise BenchError(f"portal shows {portal_cards} hamlets, /bare {bare_cards}")
            # Warm-up: imports, Jinja's compiled templates, connection pools, the OS caches.
            run_wrk(portal + "/", seconds=WARM_UP_SECONDS, headers=headers)
            run_wrk(bare + "/bare", seconds=WARM_UP_SECONDS, headers=[f"User-Agent: {USER_AGENT}"])
            portal_runs: list[WrkRun] = []
            bare_runs: list[WrkRun] = []
            for repetition in range(1, repetitions + 1):
                # Alternate the two so a slow spell of the machine hits both alike.
                portal_runs.append(run_wrk(portal + "/", seconds=seconds, headers=headers))
                bare_runs.append(run_wrk(bare + "/bare", seconds=seconds,
                                         headers=[f"User-Agent: {USER_AGENT}"]))
                note(f"home page on {backend.name}, run {repetition}: "
                     f"portal {portal_runs[-1].rps:.0f} req/s, bare {bare_runs[-1].rps:.0f} req/s")
    portal_rps, bare_rps = median([r.rps for r in portal_runs]), median([r.rps for r in bare_runs])
    p95 = median([r.p95_ms for r in portal_runs])
    ratio = portal_rps / bare_rps
    met = "met" if p95 <= TARGET_P95_MS and ratio >= TARGET_RATIO else "MISSED"
    return [Row(
        benchmark=title(settings),
        database=backend.label,
        figure=f"{portal_rps:.0f} req/s; p50 {median([r.p50_ms for r in portal_runs]):.1f} ms, "
               f"p95 {p95:.1f} ms",
        baseline=f"{bare_rps:.0f} req/s; p50 {median([r.p50_ms for r in bare_runs]):.1f} ms, "
                 f"p95 {median([r.p95_ms for r in bare_runs]):.1f} ms (bare render)",
        ratio=f"{ratio:.2f}× the bare rate",
        target=f"{TARGET}: {met}",
        runs=f"median of {repetitions} × {seconds} s, wrk -t2 -c8, {count:,} residents, "
             f"{portal_cards} hamlets",
    )]


def _get(url: str, headers: list[str]) -> tuple[int, str]:
    """GET url with exactly the headers wrk will send: no cookie jar, no redirect followed."""
    import requests

    answer = requests.get(url, headers=dict(h.split(": ", 1) for h in headers), timeout=30,
                          allow_redirects=False)
    return answer.status_code, answer.text
