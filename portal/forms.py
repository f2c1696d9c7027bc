"""The base of every form: what no field accepts (control characters), and date filters.

Every form of the portal derives from Form, not from FlaskForm, so that a field of a new form
cannot take a NUL byte to the database (tests/test_hostile_input.py checks that each does).
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import TextArea

from portal.text import has_control_characters
from portal.timeutil import filter_days, today_local

CONTROL_CHARACTERS = _l("This field holds invisible control characters (such as NUL): type it "
                        "again without them.")
NOT_A_DATE = _l("Enter a date.")


def _typed(field) -> list[str]:
    """What the user sent for a field: its values as text, an uploaded file by its name."""
    typed = []
    for value in field.raw_data or ():
        if isinstance(value, str):
            typed.append(value)
        elif hasattr(value, "filename"):  # a FileStorage
            typed.append(value.filename or "")
    return typed


def holds_control_characters(field) -> bool:
    """Whether what was sent for the field holds a control character (tab and line breaks
    are allowed in a multi-line text)."""
    if isinstance(field, CSRFTokenField):
        return False  # checked, and refused, by CSRFProtect before any view runs
    multiline = isinstance(field.widget, TextArea)
    return any(has_control_characters(value, multiline=multiline) for value in _typed(field))


class Form(FlaskForm):
    """A FlaskForm whose fields refuse control characters, with a message beside the field.

    A refused field holds nothing from the moment the form is made (its data is None), so
    that no code reading it before validation (to fill choices, say) passes the value on;
    validate() then fails with the message beside that field alone. The fields a form names in
    `emptied_quietly` are only emptied, as if not sent: a page to go back to afterwards, say,
    which the user can neither see nor fix (a `next` path with a tab in it leads home).
    """

    emptied_quietly: tuple[str, ...] = ()

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)
        self.control_refused = [field for field in self if holds_control_characters(field)]
        for field in self.control_refused:
            field.raw_data, field.data = [], None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        shown = [f for f in self.control_refused if f.name not in self.emptied_quietly]
        for field in shown:
            field.errors = [CONTROL_CHARACTERS]
        return valid and not shown


def query_text(name: str) -> str | None:
    """A query-string value read outside a form; None when absent or when it holds control
    characters (then it fills or filters nothing, as if not sent)."""
    value = request.args.get(name)
    return None if has_control_characters(value) else value


def within_filter_days(form, field) -> None:
    """A filter's day within timeutil.filter_days, else a message naming the range."""
    first, last = filter_days(today_local())
    if field.data is not None and not first <= field.data <= last:
        raise ValidationError(_("Choose a day from %(first)s to %(last)s.",
                                first=f"{first:%d/%m/%Y}", last=f"{last:%d/%m/%Y}"))


def day_filter(label) -> DateField:
    """A date filter of a list or a trail: optional, and a real day within filter_days."""
    return DateField(label, validators=[Optional(), within_filter_days],
                     invalid_value_message=NOT_A_DATE)
