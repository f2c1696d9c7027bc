"""The visit form: one outcome and the details that outcome needs."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.labels import REFUSAL_REASON, SCREENING_CATEGORY, VACCINES
from portal.visits.models import Outcome, RefusalReason, ScreeningCategory
from portal.visits.outcomes import DETAIL_FIELDS, OUTCOME_DETAILS
from portal.visits.recording import VisitInput


def _choices(pairs) -> list[SelectChoice]:
    """Options for a select, after an empty one meaning "not chosen"."""
    return [SelectChoice("", "—")] + [SelectChoice(value, label) for value, label in pairs]


# What a screener is told when an outcome's required detail is missing.
REQUIRED_MESSAGES = {
    "refusal_reason": _l("Choose the reason for refusing."),
    "screening_category": _l("Choose the screening result."),
    "reason": _l("Write the medical reason."),
    "deferred_until": _l("A deferral needs the date it ends."),
}

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class VisitForm(FlaskForm):
    """Validated server-side whatever the browser did; errors come back beside the fields."""

    class Meta:
        # The same form is shown several times on a card; ids are prefixed per outcome.
        csrf = True

    client_uuid = HiddenField(validators=[DataRequired()])
    outcome = HiddenField(validators=[DataRequired()])
    refusal_reason = SelectField(
        _l("Reason for refusing"),
        choices=_choices((r.value, label) for r, label in REFUSAL_REASON.items()),
        validators=[Optional()],
    )
    screening_category = SelectField(
        _l("Screening result (Ministry of Health)"),
        choices=_choices((c.value, label) for c, label in SCREENING_CATEGORY.items()),
        validators=[Optional()],
    )
    deferred_until = DateField(_l("Deferred until"), validators=[Optional()],
                               render_kw={"inputmode": "numeric"})
    reason = StringField(_l("Medical reason"), validators=[Optional(), Length(max=300)])
    dose_given_on = DateField(_l("Date on the card (if shown)"), validators=[Optional()])
    vaccine = SelectField(_l("Vaccine on the card"),
                          choices=_choices((v, v) for v in VACCINES),
                          validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)],
                         render_kw={"rows": 2})

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or date.today()

    def validate_client_uuid(self, field):
        if not _UUID.match(field.data or ""):
            raise ValidationError(_l("This form is damaged. Reload the page and try again."))

    def validate_outcome(self, field):
        if field.data not in {o.value for o in Outcome}:
            raise ValidationError(_l("Choose what the visit found."))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then what the chosen outcome requires (Optional() would skip those)."""
        valid = super().validate(extra_validators)
        if self.outcome.errors:
            return False
        details = OUTCOME_DETAILS[self.outcome_value]
        values = self.details()
        present = SimpleNamespace(**values)
        needed = [(self[name], REQUIRED_MESSAGES[name]) for name in details.required(present)
                  if values[name] is None and not self[name].errors]
        until = values["deferred_until"]
        if "deferred_until" in details.kept(present) and until is not None and until <= self.today:
            needed.append((self.deferred_until, _l("The end of a deferral must be in the future.")))
        for field, message in needed:
            field.errors = [*field.errors, message]
        return valid and not needed

    def details(self) -> dict:
        """Every detail as the domain takes it: choices as their codes, blank text as None."""
        values = {name: self[name].data for name in DETAIL_FIELDS}
        for name, value in values.items():
            if isinstance(value, str):
                values[name] = value.strip() or None
        for name, kind in (("refusal_reason", RefusalReason),
                           ("screening_category", ScreeningCategory)):
            values[name] = kind(values[name]) if values[name] in set(kind) else None
        return values

    def entry(self) -> VisitInput:
        """What the screener entered, for record_visit (after validation)."""
        return VisitInput(client_uuid=self.client_uuid.data, outcome=self.outcome_value,
                          **self.details())

    def validate_dose_given_on(self, field):
        if field.data is not None and field.data > self.today:
            raise ValidationError(_l("The date on the card cannot be in the future."))

    @property
    def outcome_value(self) -> Outcome:
        return Outcome(self.outcome.data)

