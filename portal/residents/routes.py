"""Residents: search as you type, the resident's card, adding someone the register missed."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.access import Action, requires
from portal.audit.log import record
from portal.extensions import db
from portal.ids import id_from
from portal.campaigns.active import active_campaign
from portal.rendering import render
from portal.residents.forms import ResidentForm
from portal.residents.models import Resident, Sex
from portal.residents.registry import (
    NewResident, add_resident, households_of, likely_duplicates, same_id_number,
)
from portal.residents.search import search_residents
from portal.scope import get_in_scope_or_404
from portal.timeutil import today_local
from portal.units.models import AdministrativeUnit
from portal.visits.forms import VisitForm
from portal.visits.models import Visit
from portal.visits.standings import standing_from_history

bp = Blueprint("residents", __name__)


@bp.route("/residents/search")
@requires(Action.SEARCH_RESIDENTS)
def search():
    """Results as one types: the page, or for HTMX just the results."""
    query = request.args.get("q", "")[:80]
    results = search_residents(current_user, query) if len(query.strip()) >= 2 else []
    return render("residents/search.html", block="results", query=query, results=results)


@bp.route("/residents/<int:resident_id>")
@requires(Action.VIEW_HEALTH_DETAILS)
def card(resident_id: int):
    """The resident's card: age, risk flags, doses, past visits, and the outcome buttons."""
    resident = get_in_scope_or_404(Resident, resident_id, current_user)
    record("resident.view", "resident", resident.id, unit_id=resident.hamlet_id)
    db.session.commit()
    # After a save without JavaScript, the redirect names the visit to confirm.
    saved_id = id_from(request.args.get("saved"))
    saved = db.session.get(Visit, saved_id) if saved_id else None
    if saved is not None and (saved.resident_id != resident.id or saved.user_id != current_user.id):
        saved = None
    return render("residents/card.html", **card_context(resident, saved=saved))


def card_context(resident: Resident, form: VisitForm | None = None, saved=None) -> dict:
    """What the card shows, also after a visit is saved or refused."""
    campaign = active_campaign(current_user)
    today = today_local()
    visits = sorted(resident_visits(resident), key=lambda v: v.visited_at, reverse=True)
    current = standing_from_history(resident, campaign, today, visits) if campaign else None
    return {
        "resident": resident,
        "campaign": campaign,
        "standing": current,
        "visits": visits,
        # A saved visit shows its confirmation, not the outcome forms.
        "form": form or (None if saved else VisitForm(formdata=None, today=today)),
        "saved": saved,
        "today": today,
    }


def resident_visits(resident: Resident):
    """Every visit of the resident, undone ones included (the history is kept)."""
    from sqlalchemy import select

    from portal.visits.models import Visit

    return db.session.scalars(select(Visit).where(Visit.resident_id == resident.id))


@bp.route("/hamlets/<int:hamlet_id>/residents/new", methods=["GET", "POST"])
@requires(Action.ADD_RESIDENT)
def new(hamlet_id: int):
    """Add a person the register missed, warning about a likely duplicate first."""
    hamlet = get_in_scope_or_404(AdministrativeUnit, hamlet_id, current_user)
    today = today_local()
    form = ResidentForm(today=today)
    form.household_id.choices = [SelectChoice("", _("— new household —"))] + [
        SelectChoice(str(h.id), f"{h.code} · {h.address}") for h in households_of(hamlet)
    ]
    if request.method == "GET":
        return render("residents/new.html", block="form", form=form, hamlet=hamlet)
    if not form.validate_on_submit():
        return render("residents/new.html", block="form", form=form, hamlet=hamlet, status=422)
    taken = same_id_number(form.clean_id_number)
    if taken is not None:
        form.id_number.errors.append(_("This ID number already belongs to a resident."))
        return render("residents/new.html", block="form", form=form, hamlet=hamlet, status=422)
    entry = NewResident(
        full_name=form.full_name.data, sex=Sex(form.sex.data), birth_date=form.birth_date.data,
        birth_year=form.year, id_number=form.clean_id_number, phone=form.clean_phone,
        household_id=int(form.household_id.data) if form.household_id.data else None,
        new_household_address=(form.new_household_address.data or "").strip() or None,
        chronic_condition=form.chronic_condition.data,
        immunocompromised=form.immunocompromised.data, pregnant=form.pregnant.data,
    )
    duplicates = likely_duplicates(hamlet, entry)
    if duplicates and not form.confirm_duplicate.data:
        return render("residents/new.html", block="form", form=form, hamlet=hamlet,
                      duplicates=duplicates, status=422)
    resident = add_resident(hamlet, entry, user=current_user)
    db.session.commit()
    target = url_for("residents.card", resident_id=resident.id)
    if getattr(request, "htmx", False):
        response = render("residents/new.html", block="form", form=form, hamlet=hamlet)
        response.headers["HX-Location"] = target
        return response
    return redirect(target)


