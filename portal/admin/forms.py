"""The forms of the user administration screens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

PASSWORD_ATTRIBUTES = {"autocomplete": "new-password"}


class AccountForm(FlaskForm):
    """Name, role, unit and hamlets: what both creating and editing an account change.

    Role and hamlet choices are not checked by WTForms: the rules of portal.admin.users decide,
    with messages of their own.
    """

    full_name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter the person's full name.")), Length(max=120)])
    role = SelectField(_l("Role"), validate_choice=False)
    unit_code = StringField(_l("Administrative unit code"), validators=[
        DataRequired(message=_l("Enter the code of the administrative unit.")), Length(max=32)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    hamlets = SelectMultipleField(_l("Hamlets"), coerce=int, validate_choice=False)


class NewAccountForm(AccountForm):
    """A new account also needs a user name and a first password."""

    username = StringField(_l("User name"), validators=[
        DataRequired(message=_l("Enter a user name.")), Length(max=64)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "autocorrect": "off"})
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=_l("Enter a password."))], render_kw=PASSWORD_ATTRIBUTES)


class PasswordResetForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(_l("New password"), validators=[
        DataRequired(message=_l("Enter a password."))], render_kw=PASSWORD_ATTRIBUTES)
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(message=_l("Type the new password again.")),
        EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw=PASSWORD_ATTRIBUTES)
