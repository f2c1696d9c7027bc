"""Residents: search as you type, adding someone the register missed."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.access import Action, requires
from portal.extensions import db
from portal.rendering import render
from portal.residents.forms import ResidentForm, SearchForm
from portal.residents.guardians import Guardian, guardian_of_minor
from portal.residents.models import Sex
from portal.residents.registry import (
    NewResident, add_resident, households_of, likely_duplicates, same_id_number,
)
from portal.residents.search import TooManyIdSearches, id_number_hint, search_residents
from portal.scope import hamlet_in_scope_or_404
from portal.timeutil import today_local

bp = Blueprint("residents", __name__)


@bp.app_template_filter("minor_guardian")
def minor_guardian(resident, on=None) -> Guardian | None:
    """The guardian a screen shows beside a minor (on a day, today in Vietnam unless given);
    None for an adult. Templates render it with residents/_guardian.html."""
    return guardian_of_minor(resident, on or today_local())


@bp.route("/residents/search")
@requires(Action.SEARCH_RESIDENTS)
def search():
    """Results as one types: the page, or for HTMX just the results (or why there are none)."""
    form = SearchForm(request.args)
    query = (form.q.data or "")[:80]
    valid = form.validate()
    try:
        results = (search_residents(current_user, query)
                   if valid and len(query.strip()) >= 2 else [])
    except TooManyIdSearches as refused:
        db.session.rollback()
        notice = _("You have searched by ID number %(n)s times in the last hour: search by "
                   "name, or try again later.", n=refused.args[0])
        return render("residents/search.html", block="results", query=query, results=[],
                      form=form, notice=notice, status=429)
    db.session.commit()  # a search by ID number is written to the trail
    return render("residents/search.html", block="results", query=query, results=results,
                  form=form, notice=id_number_hint(current_user, query) if valid else None)


@bp.route("/hamlets/<int:hamlet_id>/residents/new", methods=["GET", "POST"])
@requires(Action.ADD_RESIDENT)
def new(hamlet_id: int):
    """Add a person the register missed, warning about a likely duplicate first."""
    hamlet = hamlet_in_scope_or_404(hamlet_id, current_user)
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
        guardian_name=form.guardian_name.data, guardian_phone=form.clean_guardian_phone,
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
    target = url_for("visits.card", resident_id=resident.id)
    if getattr(request, "htmx", False):
        response = render("residents/new.html", block="form", form=form, hamlet=hamlet)
        response.headers["HX-Location"] = target
        return response
    return redirect(target)
