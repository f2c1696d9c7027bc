"""The same campaign and moment give the same numbers on every page: each page's figures against
the target population counted here, in SQL written independently of the portal's."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select, text

from portal.auth.models import User
from portal.campaigns.models import Campaign
from portal.campaigns.rules import HIGH_RISK_AGE, satisfying_doses
from portal.extensions import db
from portal.scope import hamlets_in_scope
from portal.timeutil import today_local
from portal.units.models import AdministrativeUnit


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _born_by(years: int, ref: date, column_prefix: str = "") -> str:
    """Turned `years` by the reference day, as plain SQL (year-only births from 1 January)."""
    cutoff = _years_before(ref, years)
    return (f"((birth_date IS NOT NULL AND birth_date <= '{cutoff.isoformat()}') OR "
            f"(birth_date IS NULL AND birth_year <= {cutoff.year}))")


def _target_sql(campaign: Campaign) -> str:
    ref = campaign.age_reference_date
    conditions = ["status = 'present'", _born_by(campaign.min_age, ref)]
    if campaign.max_age is not None:
        conditions.append(f"NOT {_born_by(campaign.max_age, ref)}")
    if campaign.sex is not None:
        conditions.append(f"sex = '{campaign.sex.value}'")
    if campaign.risk_groups_only:
        conditions.append(f"({_born_by(HIGH_RISK_AGE, ref)} OR chronic_condition = true OR "
                          "immunocompromised = true OR pregnant = true)")
    return " AND ".join(conditions)


def _counted(campaign: Campaign) -> dict[int, dict[str, int]]:
    """Per hamlet: the target population, those up to date, those visited (a visit not undone)."""
    kinds = ", ".join(f"'{kind.value}'" for kind in satisfying_doses(campaign))
    rows = db.session.execute(text(f"""
        SELECT r.hamlet_id, COUNT(*),
               SUM(CASE WHEN EXISTS (SELECT 1 FROM doses d WHERE d.resident_id = r.id
                                     AND d.kind IN ({kinds})) THEN 1 ELSE 0 END),
               SUM(CASE WHEN EXISTS (SELECT 1 FROM visits v WHERE v.resident_id = r.id
                                     AND v.campaign_id = {campaign.id}
                                     AND v.undone_at IS NULL) THEN 1 ELSE 0 END)
        FROM residents r WHERE {_target_sql(campaign)} GROUP BY r.hamlet_id"""))
    return {hamlet: {"target": total, "up": up, "visited": visited}
            for hamlet, total, up, visited in rows}


def _number(text_: str) -> int:
    return int(re.sub(r"[.\s\xa0]", "", text_))


def _table(page: str, table_id: str) -> list[list[str]]:
    """The body rows of a table, cell texts stripped of tags."""
    body = page.split(f'id="{table_id}"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["seed-demo", "--residents", "3000", "--seed", "11"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        return {"campaigns": [c.id for c in db.session.scalars(
            select(Campaign).where(Campaign.is_open))]}


def test_every_page_counts_the_target_population_the_same_way(app, client, demo):
    assert demo["campaigns"]
    for campaign_id in demo["campaigns"]:
        with app.app_context():
            campaign = db.session.get(Campaign, campaign_id)
            counted = _counted(campaign)
            names = {u.id: u for u in db.session.scalars(select(AdministrativeUnit))}
            lead_commune = db.session.scalar(select(User.unit_id).where(
                User.username == "commune_lead"))
        # Hamlets are named alike in every ward ("Khu vực 1"): the lead's and the screener's
        # ward is the first one.
        by_name = {names[h].name: c for h, c in counted.items()
                   if names[h].parent_id == lead_commune}

        client.login("commune_lead")
        client.post_form("/campaign", {"campaign": campaign_id})
        home = client.get("/").get_data(as_text=True)
        progress = _table(home, "progress")
        commune = {name: c for name, c in by_name.items()
                   if any(row[0] == name for row in progress)}
        assert commune, "the lead's hamlets have targeted people"
        for name, target, visited, _percent in progress:
            expected = by_name.get(name, {"target": 0, "visited": 0})
            assert (_number(target), _number(visited)) == (
                expected["target"], expected["visited"]), (campaign.name, name)
        outcomes = _table(home, "outcomes")
        for row in outcomes:
            expected = by_name.get(row[0], {"target": 0, "up": 0})
            assert sum(_number(cell) for cell in row[1:]) == expected["target"], row[0]
            assert _number(row[-1]) == expected["up"], row[0]  # the last column: up to date
        preview = client.get("/lists/preview").get_data(as_text=True)
        not_up = sum(c["target"] - c["up"] for c in commune.values())
        assert re.search(r"Hôm nay có ([\d.]+) người trong diện", preview).group(1) == (
            f"{not_up:,}".replace(",", ".")), campaign.name
        client.post_form("/logout")

        client.login("screener")
        client.post_form("/campaign", {"campaign": campaign_id})
        walk = client.get("/walk").get_data(as_text=True)
        cards = re.findall(r"<strong>([^<]+)</strong>\s*<small>Đã rà soát ([\d.]+)/([\d.]+)", walk)
        assert cards, "the screener's hamlets show their figures"
        for name, visited, target in cards:
            expected = by_name.get(name, {"target": 0, "visited": 0})
            assert (_number(visited), _number(target)) == (
                expected["visited"], expected["target"]), (campaign.name, name)
        client.post_form("/logout")

        client.login("district_officer")
        client.post_form("/campaign", {"campaign": campaign_id})
        coverage = _table(client.get("/").get_data(as_text=True), "coverage")
        with app.app_context():
            communes = {names[h].parent_id for h in counted}
            per_commune = {names[c].name: [sum(counted[h][k] for h in counted
                                               if names[h].parent_id == c)
                                           for k in ("target", "up")] for c in communes}
        for name, target, up, _percent in coverage:
            assert [_number(target), _number(up)] == per_commune.get(name, [0, 0]), name
        client.post_form("/logout")


def _needing_visit_sql(campaigns: list[Campaign], today: date) -> dict[int, tuple[int, int]]:
    """Per hamlet: its residents, and those someone still has to go back to in at least one of
    the campaigns (targeted, without the dose, and never visited, or last found absent,
    willing, refusing, in hospital, or with a deferral that has ended)."""
    def needs(campaign: Campaign) -> str:
        kinds = ", ".join(f"'{kind.value}'" for kind in satisfying_doses(campaign))
        latest = (f"(SELECT MAX(v.id) FROM visits v WHERE v.resident_id = r.id "
                  f"AND v.campaign_id = {campaign.id} AND v.undone_at IS NULL)")
        return f"""({_target_sql(campaign)}
            AND NOT EXISTS (SELECT 1 FROM doses d WHERE d.resident_id = r.id AND d.kind IN ({kinds}))
            AND ({latest} IS NULL OR EXISTS (SELECT 1 FROM visits w WHERE w.id = {latest} AND (
                w.outcome IN ('absent', 'willing', 'refused', 'hospitalised')
                OR (w.outcome = 'contraindicated' AND w.screening_category = 'deferral'
                    AND (w.deferred_until IS NULL OR w.deferred_until <= '{today.isoformat()}'))))))"""
    rows = db.session.execute(text(f"""
        SELECT r.hamlet_id, COUNT(*),
               SUM(CASE WHEN {" OR ".join(needs(c) for c in campaigns)} THEN 1 ELSE 0 END)
        FROM residents r GROUP BY r.hamlet_id"""))
    return {hamlet: (total, needing) for hamlet, total, needing in rows}


def test_the_walk_counts_who_needs_a_visit_in_any_open_campaign_as_counted_here(
        app, client, demo):
    with app.app_context():
        campaigns = [db.session.get(Campaign, i) for i in demo["campaigns"]]
        counted = _needing_visit_sql(campaigns, today_local())
        screener = db.session.scalar(select(User).where(User.username == "screener"))
        hamlets = list(db.session.scalars(hamlets_in_scope(screener)))
    assert len(campaigns) > 1 and hamlets
    client.login("screener")
    needing_somewhere = 0
    for hamlet_id in hamlets:
        page = client.get(f"/walk/{hamlet_id}").get_data(as_text=True)
        summary = re.search(r'class="summary">([^<]+)<', page).group(1)
        numbers = [_number(n) for n in re.findall(r"\d[\d.]*", summary)]
        total, needing = counted.get(hamlet_id, (0, 0))
        assert numbers == [needing, total], (hamlet_id, summary)
        needing_somewhere += needing
    assert needing_somewhere, "some residents of the screener's hamlets still need a visit"
