"""Row: name search at 1,000,000 residents, server time per request, against a naive LIKE scan.

The figure is the whole request inside the server (session, login, scope, the indexed search,
rendering the results fragment), timed around the app's test client: no network, no client.
Queries are typed the way screeners type: folded, one to three words, prefixes, given names,
ID number prefixes and phone numbers; drawn from the demo's own residents. The baseline runs the
obvious query for the same text and scope, `name_folded LIKE '%text%'` ordered by name, limit 20.
"""

from __future__ import annotations

import random
import time

from sqlalchemy import select

from bench.common import Backend, Row, Settings, median, migrate, note, scratch_database, seed_demo
from bench.inprocess import logged_in_client, portal_app

RESIDENTS = 1_000_000
QUICK_RESIDENTS = 50_000
QUERIES = 300
QUICK_QUERIES = 60
TARGET = "p95 ≤ 30 ms"
TARGET_P95_MS = 30.0
# Who searches: the screener (three hamlets), the commune lead (a ward), the district officer.
USERS = ("screener", "commune_lead", "district_officer")


def title(settings: Settings) -> str:
    count = QUICK_RESIDENTS if settings.quick else RESIDENTS
    return f"name search at {count:,} residents (server time)"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def queries_from(app, rng: random.Random, count: int) -> list[str]:
    """What screeners type, made from the names, ID numbers and phones in the database."""
    from portal.extensions import db
    from portal.residents.models import Resident

    with app.app_context():
        # Residents of the first ward, where the screener works; the others search it too.
        people = db.session.execute(
            select(Resident.name_folded, Resident.id_number, Resident.phone)
            .order_by(Resident.id).limit(5000)
        ).all()
    texts = []
    for _ in range(count):
        folded, id_number, phone = rng.choice(people)
        words = folded.split()
        kind = rng.random()
        if kind < 0.30:
            texts.append(folded)  # the whole name
        elif kind < 0.50:
            texts.append(f"{words[0]} {words[-1]}")  # family and given name
        elif kind < 0.65:
            texts.append(words[-1])  # the given name alone
        elif kind < 0.75:
            texts.append(" ".join(words[:-1] + [words[-1][:2]]))  # typing: a prefix of the last
        elif kind < 0.85:
            texts.append(words[0][:3])  # three letters of a common family name
        elif kind < 0.93 and id_number:
            texts.append(id_number[:8])
        elif phone:
            texts.append(phone)
        else:
            texts.append(folded)
    return texts


def naive_search(app, user_id: int, text: str) -> None:
    """The obvious query: a LIKE scan of the folded names within the user's hamlets."""
    from portal.auth.models import User
    from portal.extensions import db
    from portal.residents.models import Resident
    from portal.scope import hamlets_in_scope

    with app.app_context():
        user = db.session.get(User, user_id)
        list(db.session.scalars(
            select(Resident)
            .where(Resident.hamlet_id.in_(hamlets_in_scope(user)),
                   Resident.name_folded.like(f"%{text}%") | (Resident.id_number == text)
                   | (Resident.phone == text))
            .order_by(Resident.name_folded).limit(20)
        ))


def run(backend: Backend, settings: Settings) -> list[Row]:
    count = QUICK_RESIDENTS if settings.quick else RESIDENTS
    n_queries = QUICK_QUERIES if settings.quick else QUERIES
    rows = []
    with scratch_database(backend) as url:
        migrate(url)
        seconds, _ = seed_demo(url, count)
        note(f"seeded {count:,} residents on {backend.name} in {seconds:.0f} s")
        with portal_app(url) as app:
            from portal.auth.models import User
            from portal.extensions import db

            texts = queries_from(app, random.Random(2022), n_queries)
            for username in USERS:
                client = logged_in_client(app, username)
                with app.app_context():
                    user_id = db.session.scalar(select(User.id).where(User.username == username))
                for text in texts[:20]:  # warm the caches of both sides
                    client.get("/residents/search", query_string={"q": text},
                               headers={"HX-Request": "true"})
                    naive_search(app, user_id, text)
                portal_ms, naive_ms, found = [], [], 0
                for text in texts:
                    started = time.perf_counter()
                    answer = client.get("/residents/search", query_string={"q": text},
                                        headers={"HX-Request": "true"})
                    portal_ms.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, answer.status_code
                    found += 'class="person-row"' in answer.get_data(as_text=True)
                    started = time.perf_counter()
                    naive_search(app, user_id, text)
                    naive_ms.append((time.perf_counter() - started) * 1000)
                p95, naive_p95 = percentile(portal_ms, 0.95), percentile(naive_ms, 0.95)
                rows.append(Row(
                    benchmark=f"{title(settings)}, as {username}", database=backend.label,
                    figure=f"p50 {median(portal_ms):.1f} ms, p95 {p95:.1f} ms "
                           f"({found}/{len(texts)} queries found someone)",
                    baseline=f"p50 {median(naive_ms):.1f} ms, p95 {naive_p95:.1f} ms "
                             "(naive LIKE '%…%' query alone)",
                    ratio=f"{naive_p95 / p95:.1f}× faster at p95",
                    target=f"{TARGET}: {'met' if p95 <= TARGET_P95_MS else 'MISSED'}",
                    runs=f"{len(texts)} queries",
                ))
                note(f"search as {username} on {backend.name}: p95 {p95:.1f} ms, naive {naive_p95:.1f} ms")
    return rows
