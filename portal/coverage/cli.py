"""`flask coverage`: build the kept figures again from the raw rows, or check them."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from portal.extensions import db

coverage_cli = AppGroup("coverage", help="The coverage figures kept as visits, doses and "
                                         "imports are saved.")


@coverage_cli.command("rebuild")
def rebuild_command() -> None:
    """Build every campaign's figures again from the register, the doses and the visits."""
    from portal.coverage.summary import rebuild

    started = time.perf_counter()
    rebuild()
    db.session.commit()
    click.echo(f"Coverage figures built again in {time.perf_counter() - started:.1f} s.")
