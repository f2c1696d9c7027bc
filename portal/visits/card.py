"""The resident's card, where a knock on the door is recorded for every campaign that needs it."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from flask_login import current_user
from sqlalchemy import select

from portal.campaigns.active import open_campaigns
from portal.campaigns.rules import age_in_campaign
from portal.extensions import db
from portal.residents.models import Resident
from portal.timeutil import today_local
from portal.vaccination.booking import appointments_of, booking_offers
from portal.vaccination.forms import BookingForm
from portal.visits.forms import PER_CAMPAIGN, VisitForm
from portal.visits.models import Outcome, Visit
from portal.visits.outcomes import OUTCOME_DETAILS, Standing
from portal.visits.standings import screening_of


def card_context(resident: Resident, form: VisitForm | None = None, saved=None,
                 booking_form=None) -> dict:
    """What the card shows: the resident, where they stand in every open campaign that targets
    them, their visits, and the outcome forms for the campaigns still to record.

    A saved knock (its visits) shows its confirmation instead of the forms; a refused form
    comes back with its errors. The person's appointments are shown, and for a willing person
    with none, the sessions to book them at (a refused booking comes back with its errors).
    """
    campaigns = open_campaigns(current_user)
    today = today_local()
    visits = sorted(resident_visits(resident), key=lambda v: v.visited_at, reverse=True)
    screening = [s for s in screening_of(resident, campaigns, today, visits)
                 if s.standing is not Standing.NOT_TARGETED]
    to_record = [s for s in screening if s.to_record]
    appointments = appointments_of(resident)
    offers = booking_offers(resident, screening, appointments, today)
    return {
        "resident": resident,
        "campaigns": campaigns,
        "screening": screening,
        "to_record": to_record,
        "record_ids": ",".join(str(s.campaign.id) for s in to_record),
        "visits": visits,
        "form": form or (None if saved else VisitForm(formdata=None, today=today)),
        "saved": saved or [],
        "today": today,
        "age_in": age_in_campaign,
        "appointments": appointments,
        "offers": offers,
        "booking_form": booking_form or BookingForm(formdata=None, offers=offers),
    }


def resident_visits(resident: Resident) -> list[Visit]:
    """Every visit of the resident, undone ones included (the history is kept)."""
    return list(db.session.scalars(select(Visit).where(Visit.resident_id == resident.id)))


def entry_facts(form: VisitForm) -> list[tuple[str, str]]:
    """The details of an entry as the screener reads them back, those its outcomes keep."""
    if form.outcome.data == PER_CAMPAIGN:
        outcomes = {Outcome(form.campaign_outcome(campaign_id)) for campaign_id in form.campaigns
                    if form.campaign_outcome(campaign_id) in set(Outcome)}
    elif form.outcome.data in set(Outcome):
        outcomes = {Outcome(form.outcome.data)}
    else:
        return []
    values = form.details()
    present = SimpleNamespace(**values)
    kept = dict.fromkeys(name for outcome in sorted(outcomes)
                         for name in OUTCOME_DETAILS[outcome].kept(present))
    facts = []
    for name in kept:
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
