"""The forms of the lists: the lead's submission, the district's approval and return."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

TOO_LONG = _l("At most %(max)d characters.")
# An <input> without type= is a text input; the submission's fields have always been written so.
TEXT = {"type": False}


def _stripped(text: str | None) -> str | None:
    return text.strip() if isinstance(text, str) else text


class SubmitListForm(FlaskForm):
    """Who signs the list, both optional: the document falls back to the default signer."""

    signer_title = StringField(_l("Signing as"), filters=[_stripped], render_kw=TEXT,
                               validators=[Optional(), Length(max=80, message=TOO_LONG)])
    signer_name = StringField(_l("Name of the signer"), filters=[_stripped], render_kw=TEXT,
                              validators=[Optional(), Length(max=120, message=TOO_LONG)])


class ApproveForm(FlaskForm):
    """An approval, with a comment if the district has one."""

    comment = TextAreaField(_l("Comment"), filters=[_stripped],
                            validators=[Optional(), Length(max=1000, message=TOO_LONG)])


class ReturnForm(FlaskForm):
    """A return to the commune. Its comment is required by the workflow (send_back), which
    refuses a return without one in its own words."""

    comment = TextAreaField(_l("What must be fixed"), filters=[_stripped],
                            validators=[Optional(), Length(max=1000, message=TOO_LONG)],
                            render_kw={"rows": 3})
