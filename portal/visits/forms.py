"""The visit form: an outcome for each campaign the knock screens, and the details they need."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import Form
from portal.ids import id_from
from portal.labels import REFUSAL_REASON, SCREENING_CATEGORY, VACCINES
from portal.visits.models import Outcome, RefusalReason, ScreeningCategory
from portal.visits.outcomes import DETAIL_FIELDS, OUTCOME_DETAILS, deferral_end_problem
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

# The outcome field's value when each campaign gets its own (outcome_<campaign id>).
PER_CAMPAIGN = "per_campaign"
MAX_CAMPAIGNS = 20

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class VisitForm(Form):
    """Validated server-side whatever the browser did; errors come back beside the fields."""

    class Meta:
        # The same form is shown several times on a card; ids are prefixed per outcome.
        csrf = True

    client_uuid = HiddenField(validators=[DataRequired()])
    # An outcome for every campaign the card showed, or PER_CAMPAIGN: one each (outcome_<id>).
    outcome = HiddenField(validators=[DataRequired()])
    # The campaigns the card showed to record, by id ("3,5").
    campaign_ids = HiddenField()
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
        formdata = kwargs.get("formdata", args[0] if args else None)
        if formdata is None and "formdata" not in kwargs and has_request_context():
            formdata = request.form  # as FlaskForm reads its fields
        self.raw = formdata or {}
        self.outcomes: dict[int, Outcome] = {}
        self.campaign_errors: dict[int, list[str]] = {}

    @property
    def campaigns(self) -> list[int]:
        """The campaigns the entry is for, by id, as the card listed them."""
        ids = [id_from(part) for part in (self.campaign_ids.data or "").split(",")]
        return [campaign_id for campaign_id in ids if campaign_id is not None][:MAX_CAMPAIGNS]

    def campaign_outcome(self, campaign_id: int) -> str:
        """What was chosen for one campaign in a per-campaign entry, as sent."""
        return self.raw.get(f"outcome_{campaign_id}", "")

    def validate_client_uuid(self, field):
        if not _UUID.match(field.data or ""):
            raise ValidationError(_l("This form is damaged. Reload the page and try again."))

    def validate_outcome(self, field):
        if field.data != PER_CAMPAIGN and field.data not in set(Outcome):
            raise ValidationError(_l("Choose what the visit found."))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then an outcome for each campaign when each has its own, then what the
        outcomes require (Optional() would skip those)."""
        valid = super().validate(extra_validators)
        if self.outcome.errors:
            return False
        if self.outcome.data == PER_CAMPAIGN:
            if not self.campaigns:
                self.campaign_ids.errors = [
                    _l("This form is damaged. Reload the page and try again.")]
                return False
            for campaign_id in self.campaigns:
                chosen = self.campaign_outcome(campaign_id)
                if chosen in set(Outcome):
                    self.outcomes[campaign_id] = Outcome(chosen)
                else:
                    self.campaign_errors[campaign_id] = [_l("Choose what the visit found.")]
            chosen_outcomes = set(self.outcomes.values())
        else:
            chosen_outcomes = {Outcome(self.outcome.data)}
        values = self.details()
        present = SimpleNamespace(**values)
        required = dict.fromkeys(name for outcome in chosen_outcomes
                                 for name in OUTCOME_DETAILS[outcome].required(present))
        needed = [(self[name], REQUIRED_MESSAGES[name]) for name in required
                  if values[name] is None and not self[name].errors]
        until = values["deferred_until"]
        deferring = any("deferred_until" in OUTCOME_DETAILS[o].kept(present)
                        for o in chosen_outcomes)
        problem = deferral_end_problem(until, self.today) if deferring and until else None
        if problem:
            needed.append((self.deferred_until, problem))
        for field, message in needed:
            field.errors = [*field.errors, message]
        return valid and not needed and not self.campaign_errors

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

    def entries(self, campaigns) -> list[tuple[object, VisitInput]]:
        """What the screener entered, campaign by campaign, for record_knock (after validation).

        `campaigns` are those the person still needs a visit for; of them the entry is for
        those the card listed (all of them for a form that lists none), each with its own
        outcome or the one outcome for all.
        """
        listed = set(self.campaigns)
        if listed:
            campaigns = [c for c in campaigns if c.id in listed]
        details = self.details()
        entries = []
        for campaign in campaigns:
            outcome = (self.outcomes.get(campaign.id) if self.outcome.data == PER_CAMPAIGN
                       else Outcome(self.outcome.data))
            if outcome is not None:
                entries.append((campaign, VisitInput(client_uuid=self.client_uuid.data,
                                                     outcome=outcome, **details)))
        return entries

    def validate_dose_given_on(self, field):
        if field.data is not None and field.data > self.today:
            raise ValidationError(_l("The date on the card cannot be in the future."))


class HouseholdAbsentForm(Form):
    """Nobody of a household at home: one tap, with its own client id like a visit's."""

    client_uuid = HiddenField(validators=[DataRequired()])

    def validate_client_uuid(self, field):
        if not _UUID.match(field.data or ""):
            raise ValidationError(_l("This form is damaged. Reload the page and try again."))


class SupervisionForm(Form):
    """The days the supervision page looks back over, from the query string."""

    class Meta:
        csrf = False  # a GET form: it changes nothing

    days = IntegerField(_l("Over the last (days)"), default=7,
                        validators=[Optional(), NumberRange(1, 60)],
                        render_kw={"inputmode": "numeric"})
    quiet = IntegerField(_l("Not visited for (days)"), default=3,
                         validators=[Optional(), NumberRange(1, 60)],
                         render_kw={"inputmode": "numeric"})
