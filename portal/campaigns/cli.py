"""`flask campaigns create|list|close|purge`: the campaign screens' rules, and the retention
purge, from the command line."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from portal.campaigns.manage import (
    CampaignDetails, CampaignRejected, campaigns_in_scope, close_campaign, closed_on,
    create_campaign, target_in_words,
)
from portal.campaigns.models import Campaign
from portal.campaigns.retention import past_retention, purge_campaign
from portal.extensions import db
from portal.ids import is_id
from portal.labels import DOSE
from portal.residents.models import DoseKind, Sex
from portal.timeutil import today_local

campaigns_cli = AppGroup("campaigns", help="Manage vaccination campaigns.")

# The option that sets each field, to say where a refusal points.
OPTION = {"name": "--name", "unit_code": "--unit", "required_dose": "--dose",
          "prior_doses": "--prior-dose", "min_age": "--min-age", "max_age": "--max-age",
          "age_reference_date": "--reference-date", "risk_groups_only": "--risk-groups-only",
          "sex": "--sex", "min_interval_days": "--min-interval-days", "starts_on": "--starts-on",
          "deadline": "--deadline", "description": "--description"}


class Day(click.ParamType):
    """A date as Vietnamese officials write it (31/08/2022) or ISO (2022-08-31)."""

    name = "dd/mm/yyyy"

    def convert(self, value, param, ctx) -> date:
        if isinstance(value, date):
            return value
        for layout in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(value.strip(), layout).date()
            except ValueError:
                continue
        self.fail(f"“{value}” không phải là ngày: hãy viết dd/mm/yyyy. "
                  f"(“{value}” is not a date: write dd/mm/yyyy or yyyy-mm-dd.)", param, ctx)


def in_both_languages(message) -> str:
    """A message of the catalogue in Vietnamese, then English: "Tiếng Việt (English)"."""
    with force_locale("vi"):
        vietnamese = str(message)
    with force_locale("en"):
        english = str(message)
    return vietnamese if vietnamese == english else f"{vietnamese} ({english})"


def refusal(rejected: CampaignRejected) -> click.ClickException:
    """The refusal as the command prints it: one line per message, after its option."""
    lines = [f"{OPTION[name] + ': ' if name in OPTION else ''}{in_both_languages(message)}"
             for name, messages in rejected.errors.items() for message in messages]
    return click.ClickException("\n".join(lines))


@campaigns_cli.command("create")
@click.option("--name", help="The campaign's name (required), unique in its unit.")
@click.option("--unit", "unit_code", help="Code of the province, district or commune that runs "
              "it (required).")
@click.option("--dose", "required_dose",
              help="The dose that counts as up to date (required): "
                   + ", ".join(k.value for k in DoseKind) + ".")
@click.option("--prior-dose", "prior_doses", multiple=True,
              help="A dose that must come first; repeat for several.")
@click.option("--min-age", type=int, default=18, show_default=True,
              help="Youngest age, in whole years.")
@click.option("--max-age", type=int, default=None,
              help="Age no longer targeted (exclusive: 5 and 12 mean 5 to under 12).")
@click.option("--reference-date", "age_reference_date", type=Day(), default=None,
              help="The day ages are counted on (default: the start date).")
@click.option("--risk-groups-only", is_flag=True, help="Only people of a high-risk group.")
@click.option("--sex", default=None, help="Only " + " or ".join(s.value for s in Sex) + ".")
@click.option("--min-interval-days", type=int, default=0, show_default=True,
              help="Days since the previous dose, at least.")
@click.option("--starts-on", type=Day(), default=None, help="First day (required).")
@click.option("--deadline", type=Day(), default=None, help="Last day (required).")
@click.option("--description", default=None, help="What the campaign is for.")
def create_command(prior_doses, **options):
    """Create a campaign: the same rules as the screen, any unit."""
    details = CampaignDetails(prior_doses=list(prior_doses), **options)
    try:
        campaign = create_campaign(None, details)
    except CampaignRejected as rejected:
        db.session.rollback()
        raise refusal(rejected) from None
    db.session.commit()
    click.echo(f"Created campaign {campaign.id}: {campaign.name} ({campaign.unit.name}).")


@campaigns_cli.command("list")
def list_command():
    """List campaigns, open ones first: id, name, unit, dose, target, dates, open or closed."""
    with force_locale("en"):  # the command line speaks English; the screens Vietnamese
        for c in campaigns_in_scope(None):
            state = "open" if c.is_open else f"closed {closed_on(c):%d/%m/%Y}"
            click.echo("\t".join([
                str(c.id), c.name, f"{c.unit.code} {c.unit.name}", str(DOSE[c.required_dose]),
                target_in_words(c), f"{c.starts_on:%d/%m/%Y}-{c.deadline:%d/%m/%Y}", state,
            ]))


@campaigns_cli.command("close")
@click.argument("campaign_id", type=int)
def close_command(campaign_id: int):
    """Close a campaign by its id: it leaves the walk and the screens; its lists stay."""
    campaign = db.session.get(Campaign, campaign_id) if is_id(campaign_id) else None
    if campaign is None:
        raise click.ClickException(f"Không có đợt tiêm nào mang số {campaign_id}. "
                                   f"(No campaign has the id {campaign_id}.)")
    try:
        close_campaign(None, campaign)
    except CampaignRejected as rejected:
        db.session.rollback()
        raise refusal(rejected) from None
    db.session.commit()
    click.echo(f"Closed campaign {campaign.id}: {campaign.name}.")


@campaigns_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
def purge_command(dry_run: bool):
    """Remove what closed campaigns no longer need once RETENTION_YEARS have passed since they
    closed: their visits' typed words and refusal reasons, their lists' draft files
    (docs/privacy.md). Each campaign purged is audited."""
    years = current_app.config["RETENTION_YEARS"]
    due = past_retention(today_local(), years)
    for campaign in due:
        purge = purge_campaign(campaign, years=years, dry_run=dry_run)
        verb = "Would purge" if dry_run else "Purged"
        click.echo(f"{verb} campaign {campaign.id} ({campaign.name}, closed "
                   f"{closed_on(campaign):%d/%m/%Y}): {purge.visits} visits, "
                   f"{purge.list_rows} list rows, {purge.draft_files} draft files.")
    if not dry_run:
        db.session.commit()
    if not due:
        click.echo(f"No campaign closed more than {years} years ago.")
