"""The resident's card, where a visit is recorded: what it shows, also after a save or a refusal."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from portal.campaigns.active import active_campaign
from portal.extensions import db
from portal.residents.models import Resident
from portal.timeutil import today_local
from portal.visits.forms import VisitForm
from portal.visits.models import Visit
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
