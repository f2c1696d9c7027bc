"""Coverage kept as it changes: after visits, undos, doses imported, corrections, new people,
erasures and campaigns changed, the kept figures equal the raw rows counted here in SQL of
our own, and the pages from the province down to the people show them."""

from __future__ import annotations

import io
import re
import threading
import uuid
from datetime import date, timedelta

from sqlalchemy import select, text, update

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.campaigns.models import Campaign
from portal.coverage.cuts import RISK_BY_CODE
from portal.coverage.figures import Cuts, by_hamlet, coverage_of, tally
from portal.extensions import db
from portal.residents.models import DoseKind, Household, Resident, Sex
from portal.timeutil import today_local
from portal.units.models import AdministrativeUnit, UnitLevel
from portal.visits.models import Visit
from test_corrections import _form as _correction_form
from test_figures_tie_out import _counted, _number
from test_import_doses_routes import _csv

from helpers import HX, uuid_for


def _table(page: str, table_id: str) -> list[list[str]]:
    """The body rows of a table, cell texts stripped of tags."""
    body = page.split(f'id="{table_id}"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def _hamlets() -> list[int]:
    return list(db.session.scalars(select(AdministrativeUnit.id).where(
        AdministrativeUnit.level == UnitLevel.HAMLET)))


def _kept_is_counted(app, today: date | None = None) -> None:
    """For every campaign and hamlet: the kept target, up to date and visited are the raw rows'
    (counted in SQL of our own), and every group of the kept sums is the live count's."""
    with app.app_context():
        day = today or today_local()
        campaigns = list(db.session.scalars(select(Campaign)))
        assert campaigns
        for campaign in campaigns:
            kept = by_hamlet(campaign, _hamlets(), day)
            assert {h: (f.target, f.up_to_date, f.visited) for h, f in kept.items()
                    if f.target} == {h: (c["target"], c["up"], c["visited"])
                                     for h, c in _counted(campaign).items()}, campaign.name
            assert sorted(tally(campaign, _hamlets(), day, per_cut=True)) == sorted(
                tally(campaign, _hamlets(), day, per_cut=True, live=True)), campaign.name


def _resident(app, key_value) -> Resident:
    with app.app_context():
        return db.session.get(Resident, key_value)


def _knock(client, resident_id: int, outcome: str, **fields) -> None:
    page = client.get(f"/residents/{resident_id}").get_data(as_text=True)
    answer = client.post_form(f"/residents/{resident_id}/visits", {
        "outcome": outcome, "client_uuid": uuid_for(page, outcome), **fields}, headers=HX)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]


def test_kept_figures_follow_every_kind_of_write(app, client, runner, world):
    from portal.jobs import runner as jobs

    _kept_is_counted(app)
    client.login("screener")
    _knock(client, world["duc"], "refused", refusal_reason="side_effects")
    _kept_is_counted(app)
    with app.app_context():
        household = db.session.scalar(select(Resident.household_id).where(
            Resident.id == world["nam"]))
    page = client.get(f"/residents/{world['nam']}").get_data(as_text=True)
    key = re.search(r'name="client_uuid" value="([^"]+)"', page).group(1)
    assert client.post_form(f"/households/{household}/absent", {"client_uuid": key},
                            headers=HX).status_code == 200
    _kept_is_counted(app)
    with app.app_context():
        refusal = db.session.scalar(select(Visit.id).where(Visit.resident_id == world["duc"]))
    assert client.post_form(f"/visits/{refusal}/undo", {}, headers=HX).status_code == 200
    _kept_is_counted(app)
    until = today_local() + timedelta(days=10)
    _knock(client, world["hoa"], "contraindicated", screening_category="deferral",
           deferred_until=until.isoformat(), reason="Sốt cao")
    _kept_is_counted(app)
    # The deferral ends by itself: counted as ended the day it ends, kept and raw alike.
    _kept_is_counted(app, today=until)
    with app.app_context():
        campaign = db.session.get(Campaign, world["campaign"])
        hamlet = db.session.get(Resident, world["hoa"]).hamlet_id
        before = by_hamlet(campaign, [hamlet], today_local())[hamlet].column("deferred")
        after = by_hamlet(campaign, [hamlet], until)[hamlet].column("deferred")
    assert (before, after) == (1, 0)
    client.post_form("/logout")

    # The platform's doses, imported by the lead through the screens: Đức is up to date.
    client.login("commune_lead")
    answer = client.post_form("/imports", {"kind": "doses",
                                           "file": (io.BytesIO(_csv()), "ntc.csv")},
                              content_type="multipart/form-data")
    jobs.join_threads()
    import_id = int(re.search(r"/imports/(\d+)$", answer.headers["Location"]).group(1))
    fields = {"full_name": "0", "birth_date": "1", "id_number": "2", "phone": "3", "dose": "4",
              "vaccine": "5", "date": "6", "site": "7"}
    assert client.post_form(f"/imports/{import_id}/start", fields).status_code == 302
    jobs.join_threads()
    _kept_is_counted(app)
    with app.app_context():
        campaign = db.session.get(Campaign, world["campaign"])
        duc_hamlet = db.session.get(Resident, world["duc"]).hamlet_id
        assert by_hamlet(campaign, [duc_hamlet], today_local())[duc_hamlet].up_to_date == 2

    # A correction: Bảo Anh was born in 1995, not 2015, and is now in the campaign.
    form = {**_correction_form(client, world["be"]), "birth_date": "1995-06-01"}
    answer = client.post_form(f"/residents/{world['be']}/edit", form)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
    with app.app_context():
        assert db.session.get(Resident, world["be"]).birth_date == date(1995, 6, 1)
    _kept_is_counted(app)

    # A person the register missed, added by the lead.
    with app.app_context():
        hamlet_id = db.session.get(Resident, world["hoa"]).hamlet_id
    answer = client.post_form(f"/hamlets/{hamlet_id}/residents/new", {
        "full_name": "Phạm Văn Mới", "sex": "male", "birth_date": "1970-04-12",
        "household_id": "", "new_household_address": "Số 9, hẻm 12, đường Trần Phú"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
    with app.app_context():
        assert db.session.scalar(select(Resident.id).where(Resident.full_name == "Phạm Văn Mới"))
    _kept_is_counted(app)

    # An erasure on request; a campaign's target changed; a campaign created.
    result = runner.invoke(args=["residents", "erase", str(world["lan"]), "--grounds",
                                 "Đơn ngày 02/12/2026", "--by", "admin", "--yes"])
    assert result.exit_code == 0, result.output
    _kept_is_counted(app)
    with app.app_context():
        db.session.get(Campaign, world["campaign"]).min_age = 50
        db.session.add(Campaign(
            name="Mũi 4 cho nhóm nguy cơ", unit_id=campaign.unit_id,
            required_dose=DoseKind.BOOSTER_2, min_age=18, risk_groups_only=True,
            age_reference_date=date(2022, 6, 1), starts_on=date(2022, 6, 1),
            deadline=date(2022, 12, 31)))
        db.session.commit()
    _kept_is_counted(app)


def test_two_sessions_writing_visits_for_one_hamlet_keep_the_sums_right(app, world):
    """Two users' saves at once, for the same hamlet and some for the same person: each one's
    change counted once, none lost (on PostgreSQL they truly overlap; SQLite takes turns)."""
    with app.app_context():
        hamlet = db.session.get(Resident, world["duc"]).hamlet_id
        people = list(db.session.scalars(select(Resident.id).where(
            Resident.hamlet_id == hamlet)))
        # More people in the hamlet, so that two writers have plenty to collide on.
        household = db.session.scalar(select(Household.id).where(Household.hamlet_id == hamlet))
        for n in range(30):
            person = Resident(hamlet_id=hamlet, household_id=household,
                              full_name=f"Người Thứ {n}", name_folded=f"nguoi thu {n}",
                              birth_year=1950 + n, sex=Sex.MALE if n % 2 else Sex.FEMALE)
            db.session.add(person)
            db.session.flush()
            people.append(person.id)
        db.session.commit()
    _kept_is_counted(app)
    outcomes = ["refused", "absent", "willing", "homebound"]
    start = threading.Barrier(2)
    failures = []

    def write(worker: int) -> None:
        from portal.visits.models import Outcome

        try:
            with app.app_context():
                campaign_id = world["campaign"]
                start.wait()
                for round_ in range(3):
                    for n, resident_id in enumerate(people):
                        db.session.add(Visit(
                            client_uuid=str(uuid.uuid4()), campaign_id=campaign_id,
                            resident_id=resident_id,
                            outcome=Outcome(outcomes[(n + worker + round_) % len(outcomes)])))
                        db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)
            raise

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    _kept_is_counted(app)


def test_the_district_drills_down_to_the_people_and_the_figures_are_the_raw_rows(
        app, client, world):
    client.login("district_officer")
    with app.app_context():
        campaign = db.session.get(Campaign, world["campaign"])
        counted = _counted(campaign)
        units = {u.code: u for u in db.session.scalars(select(AdministrativeUnit))}
        hamlets = {u.id: u for u in units.values() if u.level is UnitLevel.HAMLET}
    page = client.get("/coverage").get_data(as_text=True)
    rows = {row[0]: row for row in _table(page, "below")}
    assert set(rows) == {"Phường Cái Khế", "Phường An Hòa"}  # the district's, none beyond
    for name, row in rows.items():
        commune = next(u for u in units.values() if u.name == name)
        expected = [c for h, c in counted.items() if hamlets[h].parent_id == commune.id]
        assert _number(row[1]) == sum(c["target"] for c in expected), name
        assert _number(row[2]) == sum(c["visited"] for c in expected), name
        assert _number(row[-1]) == sum(c["up"] for c in expected), name  # up to date, last
    # The chart draws what the table says; each breakdown adds up to the district's target.
    assert 'id="coverage-chart"' in page and 'id="reasons-chart"' in page
    target = sum(c["target"] for h, c in counted.items() if hamlets[h].parent_id in {
        units["31117"].id, units["31120"].id})
    for breakdown in ("by-band", "by-sex"):
        assert sum(_number(row[1]) for row in _table(page, breakdown)) == target, breakdown
    assert {row[0]: _number(row[1]) for row in _table(page, "by-sex")} == {"Nam": 3, "Nữ": 2}

    cai_khe = units["31117"]
    page = client.get(f"/coverage?unit={cai_khe.id}").get_data(as_text=True)
    hamlet_rows = {row[0]: row for row in _table(page, "below")}
    assert set(hamlet_rows) == {"Khu vực 1", "Khu vực 2"}
    first = units["31117-01"]
    assert _number(hamlet_rows["Khu vực 1"][1]) == counted[first.id]["target"]
    link = re.search(r'href="(/coverage/people\?unit=%d[^"]*column=to_visit[^"]*)"' % first.id,
                     page).group(1).replace("&amp;", "&")
    people = client.get(link).get_data(as_text=True)
    to_visit = counted[first.id]["target"] - counted[first.id]["up"] - counted[first.id][
        "visited"]
    assert people.count('class="card"') == to_visit
    assert "Trần Văn Nam" in people and "Nguyễn Thị Lan" not in people  # Lan is up to date
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "coverage.people").order_by(AuditEvent.id.desc()))
        assert event.object_id == str(first.id) and event.after["people"] == to_visit

    # Beyond the district: as if it did not exist. A screener may not look at all.
    assert client.get(f"/coverage?unit={units['31183'].id}").status_code == 404
    assert client.get(f"/coverage/people?unit={units['31183-01'].id}").status_code == 404
    assert client.get("/coverage?unit=abc").status_code == 200  # the officer's own unit
    client.post_form("/logout")
    client.login("screener")
    assert client.get("/coverage").status_code == 403


def test_cuts_by_band_sex_and_risk_are_the_raw_rows(app, world):
    with app.app_context():
        campaign = db.session.get(Campaign, world["campaign"])
        district = db.session.scalar(select(AdministrativeUnit).where(
            AdministrativeUnit.code == "916"))
        today = today_local()
        whole = coverage_of(district, campaign, today)
        ref = campaign.age_reference_date

        def raw(condition: str) -> tuple[int, int]:
            sql = f"""SELECT COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM doses d WHERE
                      d.resident_id = r.id AND d.kind IN ('booster_1', 'booster_2'))
                      THEN 1 ELSE 0 END)
                      FROM residents r JOIN administrative_units h ON h.id = r.hamlet_id
                      JOIN administrative_units c ON c.id = h.parent_id
                      WHERE c.parent_id = {district.id} AND r.status = 'present'
                      AND r.birth_date <= '{ref.replace(year=ref.year - 18)}' AND {condition}"""
            total, up = db.session.execute(text(sql)).one()
            return total, up or 0

        women = raw("r.sex = 'female'")
        assert (whole.by_sex["female"].target, whole.by_sex["female"].up_to_date) == women
        fifties = raw(f"r.birth_date <= '{ref.replace(year=ref.year - 50)}' "
                      f"AND r.birth_date > '{ref.replace(year=ref.year - 65)}'")
        assert (whole.by_band[4].target, whole.by_band[4].up_to_date) == fifties
        chronic = raw("r.chronic_condition = true")
        assert (whole.by_risk["chronic"].target, whole.by_risk["chronic"].up_to_date) == chronic
        assert chronic[0] == 1  # Đức
        # A cut narrows every figure of the page; its own breakdown keeps the other cuts.
        men_50 = coverage_of(district, campaign, today, Cuts(sex=Sex.MALE,
                                                             risk=RISK_BY_CODE["any"]))
        assert men_50.total.target == raw(
            f"r.sex = 'male' AND (r.birth_date <= '{ref.replace(year=ref.year - 50)}' "
            "OR r.chronic_condition = true OR r.immunocompromised = true OR r.pregnant = true)"
        )[0]
        assert men_50.by_sex["female"].target == raw(
            f"r.sex = 'female' AND (r.birth_date <= '{ref.replace(year=ref.year - 50)}' "
            "OR r.chronic_condition = true)")[0]


def test_coverage_by_week_counts_each_dose_on_its_day(app, client, world):
    from portal.residents.models import Dose, RecordSource

    with app.app_context():
        today = today_local()
        last_sunday = today - timedelta(days=(today.weekday() + 1) % 7)
        db.session.add(Dose(resident_id=world["duc"], kind=DoseKind.BOOSTER_1, vaccine="Pfizer",
                            given_on=last_sunday - timedelta(days=2),
                            source=RecordSource.PLATFORM))
        db.session.add(Dose(resident_id=world["hoa"], kind=DoseKind.BOOSTER_1, vaccine="Pfizer",
                            given_on=today, source=RecordSource.PLATFORM))
        db.session.commit()
        # Lan's booster was given on 01/10/2021: in every week.
    client.login("district_officer")
    page = client.get("/coverage").get_data(as_text=True)
    weeks = {row[0]: _number(row[1]) for row in _table(page, "weeks")}
    assert weeks[f"{today:%d/%m/%Y}"] == 3
    assert weeks[f"{last_sunday:%d/%m/%Y}"] == (2 if last_sunday != today else 3)
    earlier = last_sunday - timedelta(days=7)
    assert weeks[f"{earlier:%d/%m/%Y}"] == 1


def test_a_summary_built_again_is_the_one_kept(app, world, client):
    """`flask coverage rebuild` (and the migration) make the same rows the writes kept."""
    client.login("screener")
    _knock(client, world["duc"], "willing")
    with app.app_context():
        before = sorted(db.session.execute(text(
            "SELECT * FROM coverage_counts ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9")).all())
        db.session.execute(update(Campaign).values(name=Campaign.name))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["coverage", "rebuild"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        after = sorted(db.session.execute(text(
            "SELECT * FROM coverage_counts ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9")).all())
    assert before == after and before


def test_each_chart_of_the_coverage_page_draws_the_figures_of_its_table(app, client, world):
    client.login("screener")
    _knock(client, world["duc"], "refused", refusal_reason="side_effects")
    client.post_form("/logout")
    client.login("district_officer")
    with app.app_context():
        commune = db.session.scalar(select(AdministrativeUnit.id).where(
            AdministrativeUnit.code == "31117"))
    page = client.get(f"/coverage?unit={commune}").get_data(as_text=True)
    rows = _table(page, "below")
    header = page.split('id="below"', 1)[1].split("</thead>", 1)[0]
    columns = re.findall(r'data-column="(\w+)"', page.split('id="below"', 1)[1].split(
        "</tbody>", 1)[0])[:9]

    def segments(chart: str) -> list[tuple[str, str, int]]:
        figure = page.split(f'id="{chart}"', 1)[1].split("</figure>", 1)[0]
        return [(title.split(" · ")[0], name, int(value)) for name, value, title in re.findall(
            r'<rect class="segment" data-name="([^"]+)" data-value="(\d+)"[^>]*><title>([^<]+)',
            figure)]

    assert "Cần rà soát" in header
    by_hamlet = {row[0]: dict(zip(columns, (_number(cell) for cell in row[4:]))) for row in rows}
    drawn = segments("reasons-chart")
    assert drawn, "the reasons are drawn"
    for hamlet, _name, value in drawn:
        assert value in by_hamlet[hamlet].values()
    assert sum(v for _h, _n, v in drawn) == sum(
        sum(v for k, v in figures.items() if k != "up_to_date") for figures in by_hamlet.values())
    refused = [v for _h, n, v in drawn if n == "Từ chối tiêm"]
    assert refused == [1] and by_hamlet["Khu vực 1"]["refused"] == 1
    up = {h: v for h, _n, v in segments("coverage-chart")}
    assert up == {h: f["up_to_date"] for h, f in by_hamlet.items()}


def test_the_list_preview_is_the_list_a_submission_freezes(app, client, runner):
    """On the demo: the preview's rows are the first of the list the lead then submits, its
    counts by reason and hamlet those of the whole frozen list, and the frozen rows are the
    people counted here in SQL of our own (targeted, without the campaign's dose)."""
    from portal.lists.compliance import compile_list, preview_list
    from portal.lists.models import ComplianceList

    result = runner.invoke(args=["seed-demo", "--residents", "3000", "--seed", "5"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.username == "commune_lead"))
        campaign = db.session.get(Campaign, lead.campaign_id)
        commune = lead.unit
        today = today_local()
        preview = preview_list(campaign, commune, today, 100)
        whole = compile_list(campaign, commune, today)
        assert len(whole) > 100 and preview.total == len(whole)
        assert [(e.resident.id, e.reason) for e in preview.entries] == [
            (e.resident.id, e.reason) for e in whole[:100]]
        counted = _counted(campaign)
        hamlets = [h for h in _hamlets() if db.session.get(AdministrativeUnit, h).parent_id
                   == commune.id]
        assert len(whole) == sum(counted[h]["target"] - counted[h]["up"] for h in hamlets
                                 if h in counted)
    client.login("commune_lead")
    page = client.get("/lists/preview").get_data(as_text=True)
    assert f"Hôm nay có {len(whole):,} người".replace(",", ".") in page
    answer = client.post_form("/lists/submit", {"signer_title": "PHÓ CHỦ TỊCH",
                                                "signer_name": "Nguyễn Văn A"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    with app.app_context():
        frozen = db.session.scalars(select(ComplianceList).where(
            ComplianceList.campaign_id == campaign.id)).all()[-1]
        rows = sorted(frozen.rows, key=lambda r: r.position)
        assert [(r.resident_id, r.reason) for r in rows] == [
            (e.resident.id, e.reason) for e in whole]
        by_reason = {}
        for row in rows:
            by_reason[row.reason] = by_reason.get(row.reason, 0) + 1
        assert by_reason == dict(preview.by_reason)
