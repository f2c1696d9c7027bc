"""`flask users ...`: manage accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from portal.auth.accounts import AccountError, create_user
from portal.auth.models import Role, User
from portal.extensions import db

users_cli = AppGroup("users", help="Manage portal accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, help="One of: " + ", ".join(r.value for r in Role))
@click.option("--unit", "unit_code", required=True, help="Code of the administrative unit.")
@click.option("--full-name", default=None, help="The person's name as shown in the portal.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when not given.",
)
def create_command(username, role, unit_code, full_name, password):
    """Create an account bound to an administrative unit."""
    try:
        with force_locale("en"):  # the command line speaks English; the screens Vietnamese
            user = create_user(
                username=username,
                password=password,
                role=role,
                unit_code=unit_code,
                full_name=full_name,
            )
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.username} ({user.role.value}) in {user.unit.name}.")


@users_cli.command("list")
def list_command():
    """List accounts with their role and unit."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "" if user.is_enabled else " (deactivated)"
        click.echo(f"{user.username}\t{user.role.value}\t{user.unit.code} {user.unit.name}{state}")
