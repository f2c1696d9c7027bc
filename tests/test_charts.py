"""The charts of the home pages are drawn on the server as SVG with a title and a description,
and each has its table: the figures of its segments are the table's, cell for cell."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.visits.models import Outcome, RefusalReason, Visit


def _segments(page: str, chart: str) -> list[tuple[str, int]]:
    svg = re.search(rf'<figure class="chart" id="{chart}">(.*?)</figure>', page,
                    re.DOTALL).group(1)
    assert re.search(rf'<title id="{chart}-title">[^<]+</title>', svg)
    assert f'aria-labelledby="{chart}-title {chart}-desc"' in svg
    return [(name, int(value)) for name, value in
            re.findall(r'data-name="([^"]+)" data-value="(\d+)"', svg)]


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]


def test_the_districts_coverage_chart_has_the_coverage_table(app, client, world):
    client.login("district_officer")
    page = client.get("/").get_data(as_text=True)
    segments = _segments(page, "coverage-chart")
    table = re.search(r'<table class="figures" id="coverage">(.*?)</table>', page,
                      re.DOTALL).group(1)
    up_to_date = [int(_cells(row)[2].replace(".", "")) for row in
                  re.findall(r"<tr>\s*<td>.*?</tr>", table, re.DOTALL) if _cells(row)]
    # A bar for each commune, in the table's order, with its figure.
    assert [v for _, v in segments] == up_to_date and sum(up_to_date) > 0


def test_the_leads_standings_chart_has_the_hamlets_table(app, client, world):
    with app.app_context():
        db.session.add(Visit(client_uuid="00000000-0000-4000-8000-000000000001",
                             campaign_id=world["campaign"], resident_id=world["nam"],
                             outcome=Outcome.REFUSED, refusal_reason=RefusalReason.FAMILY))
        db.session.commit()
    client.login("commune_lead")
    page = client.get("/").get_data(as_text=True)
    segments = _segments(page, "standings-chart")
    table = re.search(r'<table class="figures wide" id="outcomes">(.*?)</table>', page,
                      re.DOTALL).group(1)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.DOTALL).group(1)
    in_table = sum(int(n) for n in re.findall(r'data-column="[^"]+">([\d.]+)<', body))
    assert sum(v for _, v in segments) == in_table
    assert ("Từ chối tiêm", 1) in segments
