"""The trail's filters, read from the query string."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from portal.forms import Form, day_filter
from portal.labels import AUDIT_ACTION


def _action(value) -> str:
    """An action code of the trail, or "" (all actions) for anything else."""
    return value if value in AUDIT_ACTION else ""


def _trimmed(length: int):
    def trim(value):
        return value.strip()[:length] if isinstance(value, str) else value
    return trim


class AuditFilterForm(Form):
    """Action, user name, object ("visit:12") and days. An unknown action is all of them; a
    field the form refuses (control characters, a day out of range) lists nothing."""

    class Meta:
        csrf = False  # a GET form: it changes nothing

    action = SelectField(_l("Action"), coerce=_action, validate_choice=False)
    username = StringField(_l("User name"), filters=[_trimmed(64)])
    object = StringField(_l("Object (e.g. visit:12)"), filters=[_trimmed(80)])
    since = day_filter(_l("From"))
    until = day_filter(_l("To"))

    @property
    def filters(self) -> dict:
        """The filters as events_for takes them; "" or None where a field filters nothing."""
        return {"action": self.action.data or "", "username": self.username.data or "",
                "object": self.object.data or "", "since": self.since.data,
                "until": self.until.data}
