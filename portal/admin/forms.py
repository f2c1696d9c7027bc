"""The forms of the user administration screens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.forms import Form

PASSWORD_ATTRIBUTES = {"autocomplete": "new-password"}


def _first(length: int):
    """A filter keeping the first `length` characters of what was typed."""
    def first(value):
        return value[:length] if isinstance(value, str) else value
    return first


class UserFilterForm(Form):
    """The account list's filters, read from the query string: name, role, unit code. A field
    the form refuses (control characters) lists no account."""

    class Meta:
        csrf = False  # a GET form: it changes nothing

    q = StringField(_l("Name"), filters=[_first(80)])
    role = StringField(_l("Role"), filters=[_first(32)])
    unit = StringField(_l("Unit code"), filters=[_first(32)])

    @property
    def filters(self) -> dict:
        """The filters as accounts_in_scope takes them."""
        return {"role": self.role.data or "", "unit_code": self.unit.data or "",
                "text": self.q.data or ""}


class AccountForm(Form):
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


class PasswordResetForm(Form):
    """A new password, typed twice."""

    password = PasswordField(_l("New password"), validators=[
        DataRequired(message=_l("Enter a password."))], render_kw=PASSWORD_ATTRIBUTES)
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(message=_l("Type the new password again.")),
        EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw=PASSWORD_ATTRIBUTES)


class HamletForm(Form):
    """A hamlet's name and kind, as the province set them."""

    kind = StringField(_l("Kind (Khu vực, Ấp, Thôn, Tổ dân phố)"),
                       validators=[DataRequired(message=_l("Enter the kind of hamlet.")),
                                   Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Enter the name.")),
                                               Length(max=120)])
