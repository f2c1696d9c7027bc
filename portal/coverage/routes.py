"""Coverage from the province down to the people: each unit's figures in the chosen campaign,
the units below it, by age band, sex and risk group, with charts and the weeks' trend."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Action, requires, sees_health_details
from portal.audit.log import record_bulk_read
from portal.campaigns.active import chosen_campaign
from portal.charts import coverage_bars, stacked_bars, value_bars
from portal.coverage.cuts import AGE_BANDS, BAND_BY_CODE, RISK_GROUPS
from portal.coverage.figures import COLUMN_NAMES, REASONS, coverage_of, people_of, weekly_coverage
from portal.coverage.forms import CutsForm, PeopleForm
from portal.extensions import db
from portal.labels import PERSON_SEX, PROGRESS_COLUMN
from portal.rendering import render
from portal.scope import units_in_scope
from portal.timeutil import today_local
from portal.units.models import AdministrativeUnit, UnitLevel
from portal.units.tree import unit_among

bp = Blueprint("coverage", __name__)

PEOPLE_PAGE = 200
WEEKS = 8


def _unit_or_404(unit_id: int | None) -> AdministrativeUnit:
    """The unit asked for if it lies within the user's scope (their own unit if none)."""
    if unit_id is None:
        return current_user.unit
    unit = unit_among(unit_id, units_in_scope(current_user))
    if unit is None:
        abort(404)
    return unit


def _trail(unit: AdministrativeUnit) -> list[AdministrativeUnit]:
    """The units from the user's own down to this one's parent: the way back up."""
    mine = current_user.unit
    return [u for u in unit.ancestors() if u.lies_within(mine)]


@bp.route("/coverage")
@requires(Action.VIEW_COVERAGE)
def unit_view():
    """A unit's coverage in the chosen campaign, and the units below it to drill into."""
    form = CutsForm(request.args)
    form.validate()
    unit = _unit_or_404(None if form.unit.errors else form.unit.data)
    if unit.level is UnitLevel.HAMLET:
        return people_view()
    campaign = chosen_campaign(current_user)
    context = {"unit": unit, "trail": _trail(unit), "form": form, "campaign": campaign,
               "columns": COLUMN_NAMES, "reasons": REASONS}
    if campaign is not None:
        today = today_local()
        coverage = coverage_of(unit, campaign, today, form.cuts())
        weeks = [] if form.cuts().any else weekly_coverage(
            unit, campaign, WEEKS, today, coverage.total.up_to_date)
        below = [(child, f) for child, f in coverage.below if f.target]
        context.update(
            coverage=coverage, weeks=weeks,
            band_rows=_cut_rows(form, "band", coverage.by_band,
                                {b.code: b.label for b in AGE_BANDS}, only_targeted=True),
            sex_rows=_cut_rows(form, "sex", coverage.by_sex, PERSON_SEX),
            risk_rows=_cut_rows(form, "risk", coverage.by_risk,
                                {g.code: g.label for g in RISK_GROUPS}),
            coverage_chart=coverage_bars(
                _("Coverage of each unit against its target population"),
                [(child.name, f.up_to_date, f.target) for child, f in below], _("target: 100 %")),
            reasons_chart=stacked_bars(
                _("Why people are not yet up to date, in each unit"),
                [(child.name, {name: f.column(name) for name in REASONS}) for child, f in below],
                {name: PROGRESS_COLUMN[name] for name in REASONS}),
            weeks_chart=value_bars(
                _("Up to date at the end of each week"),
                [(f"{end:%d/%m}", people) for end, people in weeks], colour="#2e7d32"),
        )
    return render("coverage/unit.html", **context)


def _cut_rows(form: CutsForm, cut: str, figures: dict, labels: dict, *,
              only_targeted: bool = False) -> list[tuple]:
    """A breakdown's rows: (code, label, figures, the page's query narrowed to it)."""
    return [(code, labels[code], f, form.query(**{cut: code})) for code, f in figures.items()
            if f.target or not only_targeted]


@bp.route("/coverage/people")
@requires(Action.VIEW_COVERAGE)
def people_view():
    """The people of a hamlet behind a figure: of the cuts, in a column, by name, 200 a page."""
    if not sees_health_details(current_user):
        abort(403)
    form = PeopleForm(request.args)
    form.validate()
    hamlet = _unit_or_404(None if form.unit.errors else form.unit.data)
    if hamlet.level is not UnitLevel.HAMLET:  # people are listed by hamlet: its units first
        return redirect(url_for("coverage.unit_view", unit=hamlet.id, **form.query()))
    campaign = chosen_campaign(current_user)
    if campaign is None:
        abort(404)
    column = None if form.column.errors else (form.column.data or None)
    people = people_of(hamlet, campaign, today_local(), form.cuts(), column)
    page = 1 if form.page.errors else (form.page.data or 1)
    shown = people[(page - 1) * PEOPLE_PAGE:page * PEOPLE_PAGE]
    # Names and where each stands (a reason is a health detail): one event for the page.
    record_bulk_read("coverage.people", "hamlet", hamlet.id, unit_id=hamlet.id,
                     people=len(shown), campaign=campaign.id, column=column)
    db.session.commit()
    return render("coverage/people.html", hamlet=hamlet, trail=_trail(hamlet), form=form,
                  campaign=campaign, column=column, people=shown, total=len(people),
                  page=page, pages=max(1, -(-len(people) // PEOPLE_PAGE)), band_of=BAND_BY_CODE)
