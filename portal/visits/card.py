"""The resident's card, where a visit is recorded: what it shows, also after a save or a refusal."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from flask_login import current_user
from sqlalchemy import select

from portal.campaigns.active import active_campaign
from portal.extensions import db
from portal.residents.models import Resident
from portal.timeutil import today_local
from portal.visits.forms import VisitForm
from portal.visits.models import Outcome, Visit
from portal.visits.outcomes import OUTCOME_DETAILS
from portal.visits.standings import standing_from_history


def card_context(resident: Resident, form: VisitForm | None = None, saved=None) -> dict:
    """What the card shows: the resident, their standing and visits, and the outcome forms.

    A saved visit shows its confirmation instead of the forms; a refused form comes back with
    its errors.
    """
    campaign = active_campaign(current_user)
    today = today_local()
    visits = sorted(resident_visits(resident), key=lambda v: v.visited_at, reverse=True)
    current = standing_from_history(resident, campaign, today, visits) if campaign else None
    return {
        "resident": resident,
        "campaign": campaign,
        "standing": current,
        "visits": visits,
        "form": form or (None if saved else VisitForm(formdata=None, today=today)),
        "saved": saved,
        "today": today,
    }


def resident_visits(resident: Resident) -> list[Visit]:
    """Every visit of the resident, undone ones included (the history is kept)."""
    return list(db.session.scalars(select(Visit).where(Visit.resident_id == resident.id)))


def entry_facts(form: VisitForm) -> list[tuple[str, str]]:
    """The details of an entry as the screener reads them back, those its outcome keeps."""
    if form.outcome.data not in set(Outcome):
        return []
    outcome = Outcome(form.outcome.data)
    values = form.details()
    facts = []
    for name in OUTCOME_DETAILS[outcome].kept(SimpleNamespace(**values)):
        value = values[name]
        if value is None:
            continue
        field = form[name]
        if isinstance(value, date):
            text = value.strftime("%d/%m/%Y")
        elif getattr(field, "choices", None):
            text = next((str(choice.label) for choice in field.choices
                         if choice.value == value), value)
        else:
            text = str(value)
        facts.append((str(field.label.text), text))
    return facts
