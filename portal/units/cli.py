"""`flask units load`: load the official administrative units from a maintained package."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _

from portal.extensions import db
from portal.units.load import SCHEMES, LoadError, LoadReport, load_units
from portal.units.models import UnitLevel

units_cli = AppGroup("units", help="Administrative units: the official list.")

# How many codes of units no longer listed the summary names before it says "...".
SHOWN_CODES = 10


@units_cli.command("load")
@click.option("--scheme", type=click.Choice(list(SCHEMES)), default="2025", show_default=True,
              help="2025: province > commune, the list since 1 July 2025. "
                   "2019: province > district > commune, the list before it.")
@click.option("--province", default=None,
              help='Only this province or city: its code ("92") or its name, accents optional '
                   '("Cần Thơ", "can tho").')
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Language of the summary.")
def load_command(scheme: str, province: str | None, lang: str) -> None:
    """Add or update the official units; run again, it adds nothing and keeps every id."""
    started = time.perf_counter()
    # Operators read Vietnamese first; --lang en for the second language.
    with force_locale(lang):
        try:
            report = load_units(scheme, province)
        except LoadError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        db.session.commit()
        for line in summary(report, time.perf_counter() - started):
            click.echo(line)


def summary(report: LoadReport, seconds: float) -> list[str]:
    """The lines printed after a load, in the current locale."""
    area = report.province or _("the whole country")
    counts = {level: _number(report.listed[level]) for level in UnitLevel}
    listed = {
        UnitLevel.PROVINCE: _("%(n)s provinces and cities", n=counts[UnitLevel.PROVINCE]),
        UnitLevel.DISTRICT: _("%(n)s districts", n=counts[UnitLevel.DISTRICT]),
        UnitLevel.COMMUNE: _("%(n)s communes and wards", n=counts[UnitLevel.COMMUNE]),
    }
    if report.scheme == "2025":
        del listed[UnitLevel.DISTRICT]
    lines = [
        _("Administrative units, %(scheme)s list (%(source)s), %(area)s: %(listed)s.",
          scheme=report.scheme, source=report.source, area=area, listed=", ".join(listed.values())),
        _("Added %(added)s, renamed %(renamed)s, moved to another parent %(moved)s, "
          "unchanged %(unchanged)s.",
          added=_number(sum(report.created.values())), renamed=_number(len(report.renamed)),
          moved=_number(len(report.moved)), unchanged=_number(report.unchanged)),
    ]
    if report.not_listed:
        codes = ", ".join(report.not_listed[:SHOWN_CODES])
        if len(report.not_listed) > SHOWN_CODES:
            codes += ", ..."
        lines.append(_("%(n)s units in the database are no longer in the list and were kept: "
                       "%(codes)s.", n=_number(len(report.not_listed)), codes=codes))
    lines.append(_("Done in %(seconds)s s.", seconds=format_decimal(seconds, format="0.0")))
    return lines


def _number(value: int) -> str:
    """A count with the locale's thousands separator: 10.035 in Vietnamese."""
    return format_decimal(value, format="#,##0")
