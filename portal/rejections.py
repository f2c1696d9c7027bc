"""A change that a domain function refuses, with its messages by field, and how a form shows them."""

from __future__ import annotations


class Rejected(ValueError):
    """A change that breaks a rule; `errors` maps each field ("" for the whole form) to messages.

    The messages may be lazy strings: a screen shows them in the user's language, the command
    line in Vietnamese and English.
    """

    def __init__(self, errors: dict[str, list]):
        super().__init__("; ".join(str(m) for messages in errors.values() for m in messages))
        self.errors = errors


def show_beside_fields(rejected: Rejected, form) -> None:
    """Put each rule's message beside its field, or above the form."""
    for name, messages in rejected.errors.items():
        target = form[name].errors if name in form else form.form_errors
        target.extend(str(m) for m in messages)
