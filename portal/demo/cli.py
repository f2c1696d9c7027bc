"""`flask seed-demo`: fill an empty database with realistic demo data and one account per role."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from portal.demo import DEMO_PASSWORD, SCHEMES


@click.command("seed-demo")
@click.option("--residents", default=12_000, show_default=True, type=click.IntRange(min=100),
              help="How many residents to create.")
@click.option("--seed", default=2022, show_default=True, help="Random seed, for repeatable data.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has units.")
@click.option("--scheme", type=click.Choice(SCHEMES), default="2019", show_default=True,
              help="The list of units the tree follows. 2019: province > district > wards; "
                   "2025: province > wards, the province's officer reviewing the lists.")
@with_appcontext
def seed_demo_command(residents: int, seed: int, if_empty: bool, scheme: str) -> None:
    """Build the demo: units, households, residents, doses, a campaign, visits and accounts."""
    from portal.demo.generate import DemoError, database_is_empty, seed_demo

    if if_empty and not database_is_empty():
        click.echo("The database already has data: demo not loaded.")
        return
    started = time.perf_counter()
    try:
        summary = seed_demo(residents=residents, seed=seed, scheme=scheme)
    except DemoError as error:
        raise click.ClickException(str(error)) from None
    elapsed = time.perf_counter() - started
    click.echo(f"Demo loaded in {elapsed:.1f} s: " + ", ".join(f"{v} {k}" for k, v in summary.items()))
    click.echo(f"Demo accounts (password {DEMO_PASSWORD}): "
               "screener, commune_lead, district_officer, clerk, admin")
