"""The form of a campaign: what an admin sets when creating or changing one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.campaigns.manage import CampaignDetails
from portal.forms import NOT_A_DATE, Form, day_filter
from portal.labels import DOSE
from portal.residents.models import Sex
from portal.units.models import AdministrativeUnit, UnitLevel

NOT_A_NUMBER = _l("Enter a whole number.")
DOSES = [SelectChoice(kind.value, label) for kind, label in DOSE.items()]


def _number(label):
    return IntegerField(label, validators=[Optional()], invalid_value_message=NOT_A_NUMBER,
                        render_kw={"inputmode": "numeric"})


def _day(label):
    return DateField(label, validators=[Optional()], invalid_value_message=NOT_A_DATE)


class CampaignForm(Form):
    """Name, unit, target, doses and dates. The form only reads what was typed; the rules, and
    their messages, are portal.campaigns.manage's, shared with the command line."""

    name = StringField(_l("Name of the campaign"), render_kw={"autocomplete": "off"})
    description = TextAreaField(_l("Description"), render_kw={"rows": 3})
    unit_code = SelectField(_l("Unit that runs it"), validate_choice=False)
    min_age = _number(_l("From the age of"))
    max_age = _number(_l("Under the age of"))
    age_reference_date = _day(_l("Ages counted on"))
    risk_groups_only = BooleanField(_l("Only people of a high-risk group"))
    sex = SelectField(_l("Sex"), validate_choice=False, choices=[
        SelectChoice("", _l("Everyone")), SelectChoice(Sex.MALE.value, _l("Men only")),
        SelectChoice(Sex.FEMALE.value, _l("Women only"))])
    required_dose = SelectField(_l("Dose that counts as up to date"), choices=DOSES,
                                validate_choice=False)
    prior_doses = SelectMultipleField(_l("Doses that must come before it"), choices=DOSES,
                                      validate_choice=False, widget=ListWidget(),
                                      option_widget=CheckboxInput())
    min_interval_days = _number(_l("Days since the previous dose, at least"))
    starts_on = _day(_l("Starts on"))
    deadline = _day(_l("Deadline"))

    def offer(self, units: list[AdministrativeUnit]) -> None:
        """The units to choose from, the first (the admin's own) on top and each district's
        communes grouped under its name."""
        groups: dict[int, str | None] = {}
        choices = []
        for position, unit in enumerate(units):
            if position == 0:
                group = None
            elif unit.level is UnitLevel.DISTRICT:
                group = unit.name
            else:
                group = groups.get(unit.parent_id)
            groups[unit.id] = group
            choices.append(SelectChoice(unit.code, unit.name, optgroup=group))
        self.unit_code.choices = choices

    frozen: tuple = ()

    def freeze(self, names) -> None:
        """Show these fields as they stand, not to be changed. The page sends their values
        unchanged beside them (a disabled input sends nothing), so the rules see no change."""
        for name in names:
            self[name].render_kw = {**(self[name].render_kw or {}), "disabled": True}
        self.frozen = tuple(self[name] for name in names)

    def details(self) -> CampaignDetails:
        """What the form asks the domain to set."""
        return CampaignDetails(
            name=self.name.data, description=self.description.data,
            unit_code=self.unit_code.data, required_dose=self.required_dose.data,
            prior_doses=list(self.prior_doses.data or []), min_age=self.min_age.data,
            max_age=self.max_age.data, age_reference_date=self.age_reference_date.data,
            risk_groups_only=self.risk_groups_only.data, sex=self.sex.data,
            min_interval_days=self.min_interval_days.data, starts_on=self.starts_on.data,
            deadline=self.deadline.data,
        )


class DayForm(Form):
    """The day a report is for, read from the query string; today when none."""

    class Meta:
        csrf = False  # a GET form: it changes nothing

    day = day_filter(_l("Day"))
