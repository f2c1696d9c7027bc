"""The daily report a district sends up (seed 000 asks for daily progress): for a day in Vietnam
and a campaign, per commune in scope, the visits made, the campaign's doses recorded, the people
newly up to date, the refusals, and the coverage now (portal/coverage's, the figure every page
shows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from portal.campaigns.models import Campaign
from portal.campaigns.rules import target_clause
from portal.coverage.figures import CommuneCoverage, commune_coverage
from portal.extensions import db
from portal.residents.models import Dose, Resident
from portal.timeutil import day_range
from portal.units.models import AdministrativeUnit
from portal.visits.models import Outcome, Visit


@dataclass
class DailyRow:
    """One commune's day."""

    coverage: CommuneCoverage
    visits: int = 0  # visits recorded for the campaign that day (a person visited twice: 2)
    doses: int = 0  # the campaign's doses recorded in the portal that day
    newly_up_to_date: int = 0  # targeted people who got the campaign's dose that day
    refusals: int = 0

    @property
    def commune(self) -> AdministrativeUnit:
        return self.coverage.commune


def daily_report(user, campaign: Campaign, day: date) -> list[DailyRow]:
    """The report's rows, one per commune in scope, by name."""
    rows = {c.commune.id: DailyRow(c) for c in commune_coverage(user, campaign)}
    if not rows:
        return []
    since, until = day_range(day, day)
    hamlet = AdministrativeUnit
    for commune_id, outcome, count in db.session.execute(
            select(hamlet.parent_id, Visit.outcome, func.count())
            .select_from(Visit).join(Resident, Resident.id == Visit.resident_id)
            .join(hamlet, hamlet.id == Resident.hamlet_id)
            .where(hamlet.parent_id.in_(rows), Visit.counts_in(campaign),
                   Visit.visited_at >= since, Visit.visited_at < until)
            .group_by(hamlet.parent_id, Visit.outcome)):
        rows[commune_id].visits += count
        if outcome is Outcome.REFUSED:
            rows[commune_id].refusals += count
    for commune_id, doses in db.session.execute(
            select(hamlet.parent_id, func.count())
            .select_from(Dose).join(Resident, Resident.id == Dose.resident_id)
            .join(hamlet, hamlet.id == Resident.hamlet_id)
            .where(hamlet.parent_id.in_(rows), Dose.kind == campaign.required_dose,
                   Dose.created_at >= since, Dose.created_at < until)
            .group_by(hamlet.parent_id)):
        rows[commune_id].doses += doses
    for commune_id, people in db.session.execute(
            select(hamlet.parent_id, func.count(Resident.id.distinct()))
            .select_from(Dose).join(Resident, Resident.id == Dose.resident_id)
            .join(hamlet, hamlet.id == Resident.hamlet_id)
            .where(hamlet.parent_id.in_(rows), Dose.kind == campaign.required_dose,
                   Dose.created_at >= since, Dose.created_at < until, target_clause(campaign))
            .group_by(hamlet.parent_id)):
        rows[commune_id].newly_up_to_date += people
    return sorted(rows.values(), key=lambda r: r.commune.name)


def daily_document(user, campaign: Campaign, day: date, rows: list[DailyRow]):
    """The report as an official document (Decree 30/2020), in Vietnamese: the district's."""
    from portal.lists.document import (
        DEFAULT_SIGNER_TITLE,
        ListDocument,
        in_document_language,
        signer_caption,
    )
    from portal.lists.planning import DAILY_LAYOUT

    unit = user.unit
    with in_document_language():
        printed = [PrintedRow(r.commune.name, r.visits, r.doses, r.newly_up_to_date, r.refusals,
                              r.coverage.target, r.coverage.up_to_date,
                              _percent(r.coverage.percent)) for r in rows]
        totals = DailyRow(CommuneCoverage(unit, sum(r.coverage.target for r in rows),
                                          sum(r.coverage.up_to_date for r in rows)),
                          sum(r.visits for r in rows), sum(r.doses for r in rows),
                          sum(r.newly_up_to_date for r in rows), sum(r.refusals for r in rows))
        return ListDocument(
            issuing_body=f"ỦY BAN NHÂN DÂN\n{unit.name.upper()}",
            document_number="Số:        /BC-UBND",
            place_and_date=f"{unit.name}, ngày {day:%d} tháng {day:%m} năm {day:%Y}",
            title="BÁO CÁO",
            subject=(f"Tiến độ ngày {day:%d/%m/%Y}, đợt {campaign.name[:1].lower()}"
                     f"{campaign.name[1:]}"),
            rows=printed, signer_caption=signer_caption(DEFAULT_SIGNER_TITLE), signer_name="",
            recipients=[_superior_of(unit), "- Lưu: VT."],
            draft=False, layout=DAILY_LAYOUT,
            total_label=(f"Tổng cộng: {totals.visits} lần rà soát, {totals.doses} mũi, "
                         f"{totals.newly_up_to_date} người mới tiêm đủ, {totals.refusals} "
                         f"từ chối; {totals.coverage.up_to_date}/{totals.coverage.target} "
                         f"đã tiêm ({_percent(totals.coverage.percent)})"))


def _superior_of(unit: AdministrativeUnit) -> str:
    """Whom the report goes to: the committee of the unit above; from a province, which has
    none (its health department reporting, as under the 2025 list), the Ministry of Health."""
    if unit.parent is not None:
        return f"- UBND {unit.parent.name};"
    return "- Bộ Y tế;"


def _percent(value: float) -> str:
    """58,1 %: as Vietnamese documents write it."""
    return f"{value:.1f}".replace(".", ",") + "\u00a0%"


@dataclass(frozen=True)
class PrintedRow:
    """A commune's line of the report as the document prints it (planning.DAILY_LAYOUT)."""

    name: str
    visits: int
    doses: int
    newly: int
    refusals: int
    target: int
    up_to_date: int
    percent: str
    hamlet: str = ""  # the report is not grouped by hamlet


def daily_xlsx(document) -> bytes:
    """The report as a spreadsheet: the same lines as the document."""
    from portal.exports import xlsx_of

    header = ["STT", "Xã, phường", "Lần rà soát", "Mũi tiêm ghi nhận", "Người mới tiêm đủ",
              "Từ chối", "Đối tượng", "Đã tiêm", "Tỷ lệ (%)"]
    return xlsx_of([("Báo cáo ngày", header, (
        [n, row.name, row.visits, row.doses, row.newly, row.refusals, row.target,
         row.up_to_date, round(100 * row.up_to_date / row.target, 1) if row.target else 0.0]
        for n, row in enumerate(document.rows, start=1)))])


@dataclass(frozen=True)
class DayTotals:
    day: date
    visits: int
    doses: int


def days_before(user, campaign: Campaign, until: date, days: int = 14) -> list[DayTotals]:
    """The visits and the campaign's doses recorded in scope, day by day (Vietnam's), over the
    `days` days up to `until`: the trend beside the day's report."""
    from datetime import timedelta

    from portal.scope import hamlets_in_scope

    hamlets = hamlets_in_scope(user)
    totals = []
    for back in range(days - 1, -1, -1):
        day = until - timedelta(days=back)
        since, end = day_range(day, day)
        visits = db.session.scalar(
            select(func.count()).select_from(Visit).join(Resident, Resident.id == Visit.resident_id)
            .where(Resident.hamlet_id.in_(hamlets), Visit.counts_in(campaign),
                   Visit.visited_at >= since, Visit.visited_at < end))
        doses = db.session.scalar(
            select(func.count()).select_from(Dose).join(Resident, Resident.id == Dose.resident_id)
            .where(Resident.hamlet_id.in_(hamlets), Dose.kind == campaign.required_dose,
                   Dose.created_at >= since, Dose.created_at < end))
        totals.append(DayTotals(day, visits, doses))
    return totals
