"""The forms of the lists: the index's filters, the lead's submission, the district's review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from portal.forms import Form, day_filter
from portal.ids import id_from
from portal.labels import LIST_STATE
from portal.lists.browse import ListFilters
from portal.lists.models import ListState

TOO_LONG = _l("At most %(max)d characters.")
# An <input> without type= is a text input; the submission's fields have always been written so.
TEXT = {"type": False}


def _stripped(text: str | None) -> str | None:
    return text.strip() if isinstance(text, str) else text


def _state(value) -> ListState | None:
    return ListState(value) if value in {state.value for state in ListState} else None


def _id(value) -> int | None:
    return id_from(str(value)) if value is not None else None


ALL = SelectChoice("", _l("All"))


class ListFilterForm(Form):
    """The index's filters, read from the query string. A choice that means nothing (not a
    state, not an id) filters nothing rather than being refused; an id outside the choices
    still filters, and finds nothing. A day that is not one, or lies outside the days a filter
    may name (portal.forms.day_filter), is refused beside the field, and nothing is listed."""

    class Meta:
        csrf = False  # a GET form: it changes nothing

    state = SelectField(_l("State"), coerce=_state, validate_choice=False,
                        choices=[ALL] + [SelectChoice(state.value, label)
                                         for state, label in LIST_STATE.items()])
    campaign = SelectField(_l("Campaign"), coerce=_id, validate_choice=False)
    commune = SelectField(_l("Commune"), coerce=_id, validate_choice=False)
    since = day_filter(_l("From"))
    until = day_filter(_l("To"))

    def offer(self, campaigns, communes) -> None:
        """The campaigns and communes to choose from."""
        self.campaign.choices = [ALL] + [SelectChoice(c.id, c.name) for c in campaigns]
        self.commune.choices = [ALL] + [SelectChoice(c.id, c.name) for c in communes]

    @property
    def filters(self) -> ListFilters:
        return ListFilters(state=self.state.data, campaign_id=self.campaign.data,
                           commune_id=self.commune.data, since=self.since.data,
                           until=self.until.data)


class SubmitListForm(Form):
    """Who signs the list, both optional: the document falls back to the default signer."""

    signer_title = StringField(_l("Signing as"), filters=[_stripped], render_kw=TEXT,
                               validators=[Optional(), Length(max=80, message=TOO_LONG)])
    signer_name = StringField(_l("Name of the signer"), filters=[_stripped], render_kw=TEXT,
                              validators=[Optional(), Length(max=120, message=TOO_LONG)])


class ApproveForm(Form):
    """An approval, with a comment if the district has one."""

    comment = TextAreaField(_l("Comment"), filters=[_stripped],
                            validators=[Optional(), Length(max=1000, message=TOO_LONG)])


class ReturnForm(Form):
    """A return to the commune. Its comment is required by the workflow (send_back), which
    refuses a return without one in its own words."""

    comment = TextAreaField(_l("What must be fixed"), filters=[_stripped],
                            validators=[Optional(), Length(max=1000, message=TOO_LONG)],
                            render_kw={"rows": 3})
