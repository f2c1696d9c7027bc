"""The campaign screens of an admin: the list, a new campaign, a change, closing one."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Action, requires
from portal.audit.log import record
from portal.campaigns.active import chosen_campaign
from portal.campaigns.daily import daily_document, daily_report, daily_xlsx, days_before
from portal.campaigns.forms import CampaignForm, DayForm
from portal.campaigns.manage import (
    CHANGEABLE_WHEN_APPROVED,
    DETAILS,
    CampaignDetails,
    CampaignRejected,
    campaigns_in_scope,
    close_campaign,
    closed_on,
    create_campaign,
    has_approved_list,
    target_in_words,
    units_to_run,
    update_campaign,
)
from portal.campaigns.models import Campaign
from portal.charts import value_bars
from portal.exports import XLSX, attachment
from portal.extensions import db
from portal.rejections import show_beside_fields
from portal.rendering import go_to, render
from portal.scope import get_in_scope_or_404
from portal.timeutil import today_local

bp = Blueprint("campaigns", __name__)


@bp.route("/campaigns")
@requires(Action.MANAGE_CAMPAIGNS)
def index():
    """The campaigns of the admin's area: those open first, then those closed."""
    campaigns = campaigns_in_scope(current_user)
    return render("campaigns/index.html", campaigns=campaigns)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@requires(Action.MANAGE_CAMPAIGNS)
def new():
    """Create a campaign; the form starts on the admin's own unit and today."""
    form = CampaignForm(unit_code=current_user.unit.code, starts_on=today_local(), min_age=18,
                        min_interval_days=0)
    form.offer(units_to_run(current_user))
    if request.method == "GET":
        return render("campaigns/new.html", block="form", form=form)
    if not form.validate_on_submit():
        return render("campaigns/new.html", block="form", form=form, status=422)
    try:
        campaign = create_campaign(current_user, form.details())
    except CampaignRejected as rejected:
        show_beside_fields(rejected, form)
        return render("campaigns/new.html", block="form", form=form, status=422)
    db.session.commit()
    flash(_("Campaign “%(name)s” created.", name=campaign.name))
    return go_to(url_for("campaigns.index"))


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires(Action.MANAGE_CAMPAIGNS)
def edit(campaign_id: int):
    """Change a campaign; once a list of it is approved, only its description and deadline."""
    campaign = get_in_scope_or_404(Campaign, campaign_id, current_user)
    if request.method == "GET":
        return _edit_page(campaign)
    form = CampaignForm()
    form.offer(units_to_run(current_user))
    if not form.validate_on_submit():
        return _edit_page(campaign, form=form, block="form", status=422)
    try:
        changed = update_campaign(current_user, campaign, form.details())
    except CampaignRejected as rejected:
        show_beside_fields(rejected, form)
        return _edit_page(campaign, form=form, block="form", status=422)
    db.session.commit()
    flash(_("Changes saved.") if changed else _("Nothing was changed."))
    return go_to(url_for("campaigns.index"))


@bp.route("/campaigns/<int:campaign_id>/close", methods=["POST"])
@requires(Action.MANAGE_CAMPAIGNS)
def close(campaign_id: int):
    """Close the campaign, after the admin confirmed it on the campaign's page."""
    campaign = get_in_scope_or_404(Campaign, campaign_id, current_user)
    try:
        close_campaign(current_user, campaign)
    except CampaignRejected as rejected:
        return _edit_page(campaign, status=422, close_errors=rejected.errors.get("", []))
    db.session.commit()
    flash(_("Campaign “%(name)s” closed.", name=campaign.name))
    return redirect(url_for("campaigns.index"))


def _edit_page(campaign: Campaign, *, form: CampaignForm | None = None, block=None, status=200,
               **extra):
    """The campaign's page, or its form alone for HTMX."""
    if form is None:
        form = CampaignForm(formdata=None, obj=CampaignDetails.of(campaign))
        form.offer(units_to_run(current_user))
    locked = has_approved_list(campaign)
    if not campaign.is_open:
        form.freeze(DETAILS)
    elif locked:
        form.freeze([name for name in DETAILS if name not in CHANGEABLE_WHEN_APPROVED])
    return render("campaigns/edit.html", block=block, status=status, campaign=campaign,
                  form=form, locked=locked, **extra)


@bp.context_processor
def _campaign_words():
    """How the list and the campaign's page say who, by when, and since when it is closed."""
    return {"target_in_words": target_in_words, "closed_on": closed_on}


def _report_day() -> tuple[DayForm, date]:
    """The day asked for (?day=yyyy-mm-dd), today in Vietnam when none; a day that is not one
    is refused beside the field (and today's report shown), one after today is today."""
    form = DayForm(request.args)
    day = form.day.data if form.validate() and form.day.data else today_local()
    day = min(day, today_local())
    if not form.day.errors:
        form.day.data = day
    return form, day


@bp.route("/reports/daily")
@requires(Action.DAILY_REPORT)
def daily():
    """The day's report per commune: visits, doses, newly up to date, refusals, coverage now."""
    campaign = chosen_campaign(current_user)
    form, day = _report_day()
    rows = daily_report(current_user, campaign, day) if campaign else []
    trend = days_before(current_user, campaign, day) if campaign else []
    chart = value_bars(_("Visits a day"), [(f"{t.day:%d/%m}", t.visits) for t in trend])
    return render("campaigns/daily.html", campaign=campaign, day=day, rows=rows, form=form,
                  today=today_local(), trend=trend, trend_chart=chart)


@bp.route("/reports/daily.<any(xlsx, pdf):file_format>")
@requires(Action.DAILY_REPORT)
def daily_file(file_format: str):
    """The day's report to send up: Excel, or the PDF in the layout of Decree 30/2020."""
    campaign = chosen_campaign(current_user)
    if campaign is None:
        abort(404)
    _form, day = _report_day()
    document = daily_document(current_user, campaign, day,
                              daily_report(current_user, campaign, day))
    record("report.download", "report", "daily", unit_id=current_user.unit_id,
           after={"day": day.isoformat(), "campaign": campaign.id, "format": file_format})
    db.session.commit()
    if file_format == "pdf":
        from portal.lists.pdf import render_pdf

        body, kind = render_pdf(document), "application/pdf"
    else:
        body, kind = daily_xlsx(document), XLSX
    return attachment(body, kind, f"bao-cao-ngay-{day:%Y%m%d}.{file_format}")
