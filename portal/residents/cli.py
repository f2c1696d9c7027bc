"""`flask residents erase`: erase a person's data on request, with its audit event."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from portal.auth.models import User
from portal.extensions import db
from portal.residents.erasure import ErasureRefused, erase_resident
from portal.residents.models import Resident
from portal.scope import in_scope

residents_cli = AppGroup("residents", help="Residents' personal data.")


@residents_cli.command("erase")
@click.argument("resident_id", type=int)
@click.option("--grounds", required=True,
              help="Why: the request and its date (recorded in the audit trail; no name here).")
@click.option("--by", "username", required=True,
              help="The admin who answers for the erasure; the person must be in their scope.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(resident_id: int, grounds: str, username: str, yes: bool):
    """Erase a resident: their record, visits, doses and details in lists not approved go;
    approved lists and the audit trail keep theirs (docs/privacy.md)."""
    admin = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if admin is None or not admin.is_enabled:
        raise click.ClickException(f"Không có tài khoản đang hoạt động {username}. "
                                   f"(No active account {username}.)")
    resident = db.session.scalar(in_scope(admin, Resident).where(Resident.id == resident_id))
    if resident is not None and not yes:
        click.confirm(f"Xóa {resident.full_name} ({resident.birth_year}, {resident.hamlet.name})? "
                      f"(Erase them?)", abort=True)
    try:
        erasure = erase_resident(resident_id, user=admin, grounds=grounds)
    except ErasureRefused as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from None
    db.session.commit()
    click.echo(f"Erased resident {resident_id}: {erasure.visits} visits, {erasure.doses} doses, "
               f"{erasure.list_rows_cleared} rows of lists not approved cleared, "
               f"{erasure.draft_files} draft files deleted; {erasure.list_rows_kept} rows of "
               "approved lists kept.")
