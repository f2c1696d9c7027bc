"""The form for adding a resident the register missed."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.forms import Form
from portal.residents.identity import (
    InvalidValue, check_birth_date, check_birth_year, clean_id_number, clean_phone,
)
from portal.labels import RESIDENT_STATUS
from portal.residents.models import Sex


class SearchForm(Form):
    """What is typed in the search box, read from the query string (its first 80 characters)."""

    class Meta:
        csrf = False  # a GET form: it changes nothing

    q = StringField(_l("Name (accents not needed), ID number, phone or household"),
                    filters=[lambda value: value[:80] if isinstance(value, str) else value])


class ContactForm(Form):
    """How to reach a person: their phone, a child's guardian, the household's address. What a
    screener may correct at the door; the checks are those of the register's import."""

    phone = StringField(_l("Mobile phone"), validators=[Optional()],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    # For a child: a parent or guardian other than the household's (residents/guardians.py).
    guardian_name = StringField(_l("Parent or guardian's full name"),
                                validators=[Optional(), Length(max=120)])
    guardian_phone = StringField(_l("Parent or guardian's mobile phone"), validators=[Optional()],
                                 render_kw={"inputmode": "tel", "autocomplete": "off"})

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or date.today()
        self.clean_id_number = None
        self.clean_phone = None
        self.clean_guardian_phone = None

    def validate_phone(self, field):
        try:
            self.clean_phone = clean_phone(field.data)
        except InvalidValue as error:
            raise ValidationError(str(error)) from None

    def validate_guardian_phone(self, field):
        try:
            self.clean_guardian_phone = clean_phone(field.data)
        except InvalidValue as error:
            raise ValidationError(str(error)) from None


class HouseholdContactForm(ContactForm):
    """A screener's correction: the person's contact and their household's address."""

    household_address = StringField(_l("Household address"),
                                    validators=[Optional(), Length(max=255)])


class PersonForm(ContactForm):
    """Name, birth, sex, ID number, contact and risk flags: one set of checks for adding a
    person and for correcting one."""

    full_name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter the person's full name.")), Length(max=120)])
    sex = RadioField(_l("Sex"), choices=[SelectChoice(Sex.MALE.value, _l("Male")),
                                          SelectChoice(Sex.FEMALE.value, _l("Female"))],
                     validators=[DataRequired(message=_l("Choose the sex."))])
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    birth_year = IntegerField(_l("Year of birth (if the date is not known)"),
                              validators=[Optional()], render_kw={"inputmode": "numeric"})
    id_number = StringField(_l("ID number (CCCD or CMND)"), validators=[Optional()],
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    chronic_condition = BooleanField(_l("Chronic condition"))
    immunocompromised = BooleanField(_l("Immunocompromised"))
    pregnant = BooleanField(_l("Pregnant"))

    def validate_birth_date(self, field):
        try:
            check_birth_date(field.data, self.today)
        except InvalidValue as error:
            raise ValidationError(str(error)) from None

    def validate_birth_year(self, field):
        if field.data is None and self.birth_date.data is None:
            raise ValidationError(_l("Enter the date or at least the year of birth."))
        try:
            check_birth_year(field.data, self.today)
        except InvalidValue as error:
            raise ValidationError(str(error)) from None
        if field.data and self.birth_date.data and field.data != self.birth_date.data.year:
            raise ValidationError(_l("The year does not match the date of birth."))

    def validate_id_number(self, field):
        try:
            self.clean_id_number = clean_id_number(
                field.data, self.year, self.sex.data == Sex.FEMALE.value if self.sex.data else None
            )
        except InvalidValue as error:
            raise ValidationError(str(error)) from None

    def validate_pregnant(self, field):
        if field.data and self.sex.data == Sex.MALE.value:
            raise ValidationError(_l("Only a woman can be marked pregnant."))

    @property
    def year(self) -> int | None:
        if self.birth_date.data:
            return self.birth_date.data.year
        return self.birth_year.data


class ResidentForm(PersonForm):
    """Adding a person the register missed: the person, and their household."""

    household_id = SelectField(_l("Household"), coerce=str, validators=[Optional()])
    new_household_address = StringField(_l("Or the address of a new household"),
                                        validators=[Optional(), Length(max=255)])
    confirm_duplicate = BooleanField(_l("This is a different person: add anyway"))

    def validate_new_household_address(self, field):
        if not self.household_id.data and not (field.data or "").strip():
            raise ValidationError(_l("Choose a household or enter the address of a new one."))


class CorrectionForm(PersonForm):
    """A commune lead's correction of a person: every field, where they live, their status."""

    household_address = StringField(_l("Household address"),
                                    validators=[Optional(), Length(max=255)])
    hamlet_id = SelectField(_l("Hamlet"), coerce=str)
    household_code = StringField(_l("Household code"), validators=[Optional(), Length(max=32)],
                                 render_kw={"autocomplete": "off"})
    new_household_address = StringField(_l("Or the address of a new household"),
                                        validators=[Optional(), Length(max=255)])
    status = SelectField(_l("Status"), choices=[
        SelectChoice(status.value, label) for status, label in RESIDENT_STATUS.items()])
    status_since = DateField(_l("Since (date)"), validators=[Optional()])

    def validate_status_since(self, field):
        if field.data is not None and field.data > self.today:
            raise ValidationError(_l("This date cannot be in the future."))


class PairForm(Form):
    """Two records of the duplicates list: merge them (keeping one), or keep them apart."""

    first_id = HiddenField(validators=[DataRequired()])
    second_id = HiddenField(validators=[DataRequired()])
    # For a merge: which of the two stays ("first" or "second").
    keep = HiddenField()


class AnswerForm(Form):
    """The police's answer: the identities list, filled in, as Excel."""

    file = FileField(_l("The list the police answered (.xlsx)"),
                     validators=[FileRequired(message=_l("Choose a file to upload."))],
                     render_kw={"accept": ".xlsx,.xls,.csv"})


class HouseholdForm(Form):
    """A household's address and head, or another household of the hamlet to merge into it."""

    address = StringField(_l("Household address"), validators=[Optional(), Length(max=255)])
    head_name = StringField(_l("Head of household"), validators=[Optional(), Length(max=120)])
    merge_code = StringField(_l("Code of a household to merge into this one"),
                             validators=[Optional(), Length(max=32)],
                             render_kw={"autocomplete": "off"})


class HandOverForm(Form):
    """The commune of the portal a person moved to."""

    commune_id = SelectField(_l("Moved to the commune"), coerce=str,
                             validators=[DataRequired(message=_l("Choose the commune."))])


class ReceiveForm(Form):
    """Where an arriving person lives now: a hamlet, and a household or a new one."""

    hamlet_id = SelectField(_l("Hamlet"), coerce=str)
    household_code = StringField(_l("Household code"), validators=[Optional(), Length(max=32)])
    new_household_address = StringField(_l("Or the address of a new household"),
                                        validators=[Optional(), Length(max=255)])
