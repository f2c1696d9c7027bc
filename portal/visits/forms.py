"""The visit form: one outcome and the details that outcome needs."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.labels import REFUSAL_REASON, SCREENING_CATEGORY, VACCINES
from portal.visits.models import Outcome, RefusalReason, ScreeningCategory


def _choices(pairs) -> list[SelectChoice]:
    """Options for a select, after an empty one meaning "not chosen"."""
    return [SelectChoice("", "—")] + [SelectChoice(value, label) for value, label in pairs]


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
        """Field checks, then what the chosen outcome needs (Optional() would skip those)."""
        valid = super().validate(extra_validators)
        outcome = self.outcome.data
        needed = []
        if outcome == Outcome.REFUSED and not self.refusal_reason.data:
            needed.append((self.refusal_reason, _l("Choose the reason for refusing.")))
        if outcome == Outcome.CONTRAINDICATED:
            if not self.screening_category.data:
                needed.append((self.screening_category, _l("Choose the screening result.")))
            if not (self.reason.data or "").strip():
                needed.append((self.reason, _l("Write the medical reason.")))
            if self.screening_category.data == ScreeningCategory.DEFERRAL:
                if self.deferred_until.data is None and not self.deferred_until.errors:
                    needed.append((self.deferred_until, _l("A deferral needs the date it ends.")))
                elif self.deferred_until.data is not None and self.deferred_until.data <= self.today:
                    needed.append((self.deferred_until,
                                   _l("The end of a deferral must be in the future.")))
        for field, message in needed:
            field.errors = [*field.errors, message]
        return valid and not needed

    def validate_dose_given_on(self, field):
        if field.data is not None and field.data > self.today:
            raise ValidationError(_l("The date on the card cannot be in the future."))

    @property
    def outcome_value(self) -> Outcome:
        return Outcome(self.outcome.data)

    @property
    def refusal_value(self) -> RefusalReason | None:
        return RefusalReason(self.refusal_reason.data) if self.refusal_reason.data else None
