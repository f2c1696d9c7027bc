"""The district's daily report: per commune, the day's visits (in Vietnam's day), doses
recorded, people newly up to date and refusals, with the coverage now, which ties out with the
district's home; on screen, in Excel and as a Decree-30 PDF."""

from __future__ import annotations

import io
from pathlib import Path
import re
from datetime import datetime, timedelta

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import update

from portal.extensions import db
from portal.residents.models import Dose, DoseKind, RecordSource
from portal.timeutil import day_start, today_local
from portal.visits.models import Outcome, RefusalReason, Visit


def _day_cells(page: str, commune: str) -> list[str]:
    row = re.search(rf"<tr><td>{commune}</td>(.*?)</tr>", page, re.DOTALL).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                           row, re.DOTALL)]


def test_the_days_figures_per_commune_tie_out_with_the_districts_home(app, client, world):
    today = today_local()
    midnight = day_start(today)  # 00:00 in Vietnam, as stored (17:00 the day before, UTC)
    with app.app_context():
        # The world's doses were recorded long ago (the fixture writes them now).
        db.session.execute(update(Dose).values(created_at=datetime(2022, 1, 1)))
        for n, (key, outcome, at) in enumerate((
                ("duc", Outcome.REFUSED, midnight + timedelta(minutes=30)),  # 00:30 today
                ("nam", Outcome.ABSENT, midnight + timedelta(hours=9)),
                ("lan", Outcome.ABSENT, midnight - timedelta(minutes=30)))):  # 23:30 yesterday
            db.session.add(Visit(client_uuid=f"00000000-0000-4000-8000-00000000000{n}",
                                 campaign_id=world["campaign"], resident_id=world[key],
                                 outcome=outcome, visited_at=at,
                                 refusal_reason=RefusalReason.FAMILY
                                 if outcome is Outcome.REFUSED else None))
        # Đức gets his booster today (the platform's import): up to date from today.
        db.session.add(Dose(resident_id=world["duc"], kind=DoseKind.BOOSTER_1, vaccine="Pfizer",
                            given_on=today, source=RecordSource.PLATFORM,
                            created_at=midnight + timedelta(hours=10)))
        # Hoa's booster, recorded yesterday: not today's.
        db.session.add(Dose(resident_id=world["hoa"], kind=DoseKind.BOOSTER_1, vaccine="Pfizer",
                            given_on=today - timedelta(days=1), source=RecordSource.PLATFORM,
                            created_at=midnight - timedelta(hours=2)))
        db.session.commit()
    client.login("district_officer")
    page = client.get("/reports/daily").get_data(as_text=True)
    cells = _day_cells(page, "Phường Cái Khế")
    assert cells[:4] == ["2", "1", "1", "1"]  # visits, doses, newly up to date, refusals
    home = client.get("/").get_data(as_text=True)
    coverage = re.search(r"<td><a [^>]*>Phường Cái Khế</a></td>(.*?)</tr>", home,
                         re.DOTALL).group(1)
    target, up_to_date, percent = [re.sub(r"<[^>]+>", "", c).strip() for c in
                                   re.findall(r"<td[^>]*>(.*?)</td>", coverage, re.DOTALL)]
    assert cells[4:] == [target, up_to_date, percent]
    # Yesterday's: Lan's visit at 23:30 and Hoa's dose.
    yesterday = (today - timedelta(days=1)).isoformat()
    cells = _day_cells(client.get(f"/reports/daily?day={yesterday}").get_data(as_text=True),
                       "Phường Cái Khế")
    assert cells[:4] == ["1", "1", "1", "0"]

    # The last 14 days: today's and yesterday's lines tie out with their day's report, and the
    # chart's bars are the table's figures.
    page = client.get("/reports/daily").get_data(as_text=True)
    trend = re.search(r'<table class="figures" id="trend">(.*?)</table>', page, re.DOTALL).group(1)
    lines = {cells[0]: cells[1:] for cells in (
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", trend)) if cells}
    assert lines[today.strftime("%d/%m/%Y")] == ["2", "1"]
    assert lines[(today - timedelta(days=1)).strftime("%d/%m/%Y")] == ["1", "1"]
    bars = [int(v) for v in re.findall(r'data-value="(\d+)"', re.search(
        r'<figure class="chart" id="trend-chart">(.*?)</figure>', page, re.DOTALL).group(1))]
    assert bars == [int(v[0]) for v in lines.values()] and len(bars) == 14
    rows = list(load_workbook(io.BytesIO(client.get("/reports/daily.xlsx").data),
                              read_only=True).active.iter_rows(values_only=True))
    line = next(r for r in rows if r[1] == "Phường Cái Khế")
    assert line[2:6] == (2, 1, 1, 1)
    answer = client.get("/reports/daily.pdf")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
    Path("/tmp/tungnha-daily-report.pdf").write_bytes(answer.data)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.data)).pages)
                    .split())
    assert "BÁO CÁO" in text and "Phường Cái Khế" in text and "Tổng cộng: 2 lần rà soát" in text


def test_a_day_no_one_means_is_today(app, client, world):
    client.login("district_officer")
    page = client.get("/reports/daily?day=9999-12-31").get_data(as_text=True)
    assert today_local().strftime("%d/%m/%Y") in page
