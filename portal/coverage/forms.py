"""The cuts of a coverage page, read from its query string."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from portal.coverage.cuts import AGE_BANDS, RISK_BY_CODE, RISK_GROUPS
from portal.coverage.figures import ALL, COLUMN_NAMES, Cuts
from portal.forms import Form
from portal.ids import MAX_ID
from portal.labels import PERSON_SEX
from portal.residents.models import Sex


class CutsForm(Form):
    """Which unit, and which part of its target population: all, or an age band, a sex, a
    risk group."""

    class Meta:
        csrf = False  # a GET form: it changes nothing

    unit = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    band = SelectField(_l("Age band"), validators=[Optional()])
    sex = SelectField(_l("Sex"), validators=[Optional()])
    risk = SelectField(_l("Risk group"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everyone = [SelectChoice("", _l("All"))]
        self.band.choices = everyone + [SelectChoice(str(b.code), b.label)
                                        for b in AGE_BANDS if b.code]
        self.sex.choices = everyone + [SelectChoice(s.value, PERSON_SEX[s]) for s in Sex]
        self.risk.choices = everyone + [SelectChoice(g.code, g.label) for g in RISK_GROUPS]

    def cuts(self) -> Cuts:
        """The cuts asked for (all, where a field is empty or wrong)."""
        if self.errors:
            return ALL
        return Cuts(band=int(self.band.data) if self.band.data else None,
                    sex=Sex(self.sex.data) if self.sex.data else None,
                    risk=RISK_BY_CODE.get(self.risk.data or ""))

    def query(self, **changes) -> dict:
        """The query string of these cuts, with some changed (for the links of a page)."""
        values = {name: self[name].data for name in ("band", "sex", "risk")
                  if not self.errors and self[name].data}
        values.update({k: v for k, v in changes.items() if v is not None})
        return values


class PeopleForm(CutsForm):
    """The people behind a figure of a hamlet: its cuts, and the column counted."""

    column = SelectField(validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10_000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.column.choices = [SelectChoice("", "")] + [SelectChoice(name, name)
                                                        for name in COLUMN_NAMES]
