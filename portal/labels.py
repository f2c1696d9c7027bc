"""What users see for the codes the data stores: roles, levels, doses, outcomes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.auth.models import Role
from portal.residents.models import DoseKind
from portal.units.models import UnitLevel

ROLE = {
    Role.SCREENER: _l("Screener"),
    Role.COMMUNE_LEAD: _l("Commune lead"),
    Role.DISTRICT_OFFICER: _l("District officer"),
    Role.CLERK: _l("Clerk"),
    Role.ADMIN: _l("Administrator"),
}

LEVEL = {
    UnitLevel.PROVINCE: _l("Provinces"),
    UnitLevel.DISTRICT: _l("Districts"),
    UnitLevel.COMMUNE: _l("Communes and wards"),
    UnitLevel.HAMLET: _l("Hamlets and residential groups"),
}

DOSE = {
    DoseKind.DOSE_1: _l("Dose 1"),
    DoseKind.DOSE_2: _l("Dose 2"),
    DoseKind.ADDITIONAL: _l("Additional dose"),
    DoseKind.BOOSTER_1: _l("Booster 1 (dose 3)"),
    DoseKind.BOOSTER_2: _l("Booster 2 (dose 4)"),
}


def register(app) -> None:
    """Make the label maps available to every template."""
    app.jinja_env.globals.update(ROLE_LABEL=ROLE, LEVEL_LABEL=LEVEL, DOSE_LABEL=DOSE)
