"""Row: bytes a phone downloads for the walk page (first load, every asset) and for each swap.

Sizes are gzip level 6, what nginx's `gzip on` sends by default; the baseline column gives the
uncompressed bytes. The first load is the hamlet's walk page plus every stylesheet and script it
links (htmx included); the swaps are the HTMX fragments a screener triggers on that walk.
"""

from __future__ import annotations

import gzip
import re
from uuid import uuid4

from sqlalchemy import select

from bench.common import SQLITE, Backend, BenchError, Row, Settings, migrate, scratch_database, seed_demo
from bench.inprocess import csrf_token_of, logged_in_client, portal_app

RESIDENTS = 20_000
# The bytes are the same whatever the database: measured once.
DATABASES = (SQLITE,)
PAGE_TARGET_KB = 60
SWAP_TARGET_KB = 8
HX = {"HX-Request": "true"}


def title(settings: Settings) -> str:
    return "page weight of the walk (gzip)"


def gz(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6))


def kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def run(backend: Backend, settings: Settings) -> list[Row]:
    with scratch_database(backend) as url:
        migrate(url)
        seed_demo(url, RESIDENTS)
        with portal_app(url) as app:
            from portal.auth.models import User
            from portal.extensions import db

            client = logged_in_client(app, "screener")
            with app.app_context():
                screener = db.session.scalar(select(User).where(User.username == "screener"))
                hamlet_id = screener.hamlets[0].id
            page = client.get(f"/walk/{hamlet_id}")
            html = page.get_data()
            assets = re.findall(rb'<(?:link[^>]+href|script[^>]+src)="(/static/[^"?]+)', html)
            if not assets:
                raise BenchError("the walk page links no asset")
            first = [("walk page", html)] + [
                (path.decode(), client.get(path.decode()).get_data()) for path in assets
            ]
            resident = re.search(rb'href="/residents/(\d+)"', html).group(1).decode()
            token = csrf_token_of(client, f"/residents/{resident}")
            swaps = [
                ("next households", client.get(f"/walk/{hamlet_id}?page=2", headers=HX)),
                ("search results", client.get("/residents/search?q=nguyen+van", headers=HX)),
                ("card → visit saved", client.post(
                    f"/residents/{resident}/visits", headers=HX,
                    data={"csrf_token": token, "outcome": "absent", "client_uuid": str(uuid4())})),
                ("refusal without reason (422)", client.post(
                    f"/residents/{resident}/visits", headers=HX,
                    data={"csrf_token": token, "outcome": "refused", "client_uuid": str(uuid4())})),
                ("follow-up list filtered", client.get(
                    f"/follow-up/revisits?hamlet={hamlet_id}", headers=HX)),
            ]
    for name, answer in swaps:
        if answer.status_code not in (200, 422) or b"<html" in answer.get_data():
            raise BenchError(f"{name}: HTTP {answer.status_code}, not a fragment")
    first_gz = sum(gz(body) for _, body in first)
    first_raw = sum(len(body) for _, body in first)
    parts = ", ".join(f"{name} {kb(gz(body))}" for name, body in first)
    rows = [Row(
        benchmark="walk page, first load with every asset", database=backend.label,
        figure=f"{kb(first_gz)} ({parts})", baseline=f"{kb(first_raw)} uncompressed",
        ratio=f"{first_raw / first_gz:.1f}× smaller compressed",
        target=f"≤ {PAGE_TARGET_KB} KB: {'met' if first_gz <= PAGE_TARGET_KB * 1024 else 'MISSED'}",
        runs="one load",
    )]
    sizes = [(name, answer.get_data()) for name, answer in swaps]
    largest = max(gz(body) for _, body in sizes)
    rows.append(Row(
        benchmark="HTMX swaps on the walk", database=backend.label,
        figure="; ".join(f"{name} {kb(gz(body))}" for name, body in sizes),
        baseline="; ".join(f"{kb(len(body))}" for _, body in sizes) + " uncompressed",
        ratio=f"largest {kb(largest)}",
        target=f"each ≤ {SWAP_TARGET_KB} KB: "
               f"{'met' if largest <= SWAP_TARGET_KB * 1024 else 'MISSED'}",
        runs="one of each",
    ))
    return rows
