"""Residents: search as you type, adding someone the register missed, correcting a record."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from portal.access import Action, can, requires
from portal.audit import log as audit
from portal.exports import XLSX, attachment
from portal.extensions import db
from portal.ids import id_from
from portal.labels import MISMATCH_KIND
from portal.rendering import render
from portal.residents.corrections import (
    CONTACT_FIELDS,
    PERSON_FIELDS,
    correct_household,
    correct_resident,
    history_of_household,
)
from portal.residents.duplicates import (
    UndoRefused,
    duplicates_in,
    merge,
    not_duplicates,
    undo_merge,
)
from portal.residents.forms import (
    AnswerForm,
    CorrectionForm,
    HandOverForm,
    HouseholdContactForm,
    HouseholdForm,
    PairForm,
    ReceiveForm,
    ResidentForm,
    SearchForm,
)
from portal.residents.guardians import Guardian, guardian_of_minor
from portal.residents.households import (
    arrivals,
    hand_over,
    members_of,
    merge_households,
    new_household,
    receive,
)
from portal.residents.mismatches import (
    apply_police_answer,
    counts_by_kind,
    mismatches_in,
    police_document,
    police_xlsx,
)
from portal.residents.models import (
    Dose,
    Household,
    Resident,
    ResidentHandover,
    ResidentMerge,
    ResidentStatus,
    Sex,
)
from portal.residents.registry import (
    NewResident,
    add_resident,
    household_by_code,
    households_of,
    likely_duplicates,
    same_id_number,
)
from portal.residents.search import TooManyIdSearches, id_number_hint, search_residents
from portal.scope import (
    communes_of,
    get_in_scope_or_404,
    hamlet_in_scope_or_404,
    hamlets_in_scope,
    in_scope,
)
from portal.timeutil import today_local
from portal.units.tree import communes_within, units_of
from portal.visits.models import Visit

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


def _form_data(resident: Resident) -> dict:
    """The correction form as the record stands."""
    household = resident.household
    return {
        "full_name": resident.full_name, "sex": resident.sex.value,
        "birth_date": resident.birth_date,
        "birth_year": None if resident.birth_date else resident.birth_year,
        "id_number": resident.id_number or "", "phone": resident.phone or "",
        "guardian_name": resident.guardian_name or "",
        "guardian_phone": resident.guardian_phone or "",
        "chronic_condition": resident.chronic_condition,
        "immunocompromised": resident.immunocompromised, "pregnant": resident.pregnant,
        "hamlet_id": str(resident.hamlet_id),
        "household_code": household.code if household else "",
        "household_address": household.address if household else "",
        "status": resident.status.value, "status_since": resident.status_since,
    }


@bp.route("/residents/<int:resident_id>/edit", methods=["GET", "POST"])
@requires(Action.CORRECT_CONTACT)
def edit(resident_id: int):
    """Correct a person's record: every field for a commune lead, how to reach them for a
    screener. Each change is kept with its before and after, shown on the card."""
    resident = get_in_scope_or_404(Resident, resident_id, current_user)
    full = can(current_user, Action.CORRECT_RESIDENT)
    today = today_local()
    kind = CorrectionForm if full else HouseholdContactForm
    form = kind(data=_form_data(resident), today=today) if request.method == "GET" else kind(
        today=today)
    hamlets = units_of(hamlets_in_scope(current_user)) if full else []
    if full:
        form.hamlet_id.choices = [SelectChoice(str(h.id), h.name) for h in hamlets]
    # The form shows the person's health details (risk flags): read like the card.
    audit.record("resident.view", "resident", resident.id, unit_id=resident.hamlet_id)
    db.session.commit()
    context = {"resident": resident, "form": form, "full": full,
               "communes": _other_communes() if full else []}
    if request.method == "GET":
        return render("residents/edit.html", block="form", **context)
    values = _corrected(form, resident, full) if form.validate_on_submit() else None
    if values is None:
        return render("residents/edit.html", block="form", status=422, **context)
    person, address = values
    changes = correct_resident(resident, person, user=current_user,
                               allowed=PERSON_FIELDS if full else CONTACT_FIELDS)
    if address and resident.household is not None:
        changes += correct_household(resident.household, {"address": address}, user=current_user)
    db.session.commit()
    target = url_for("visits.card", resident_id=resident.id, _anchor="history")
    if getattr(request, "htmx", False):
        response = render("residents/edit.html", block="form", **context)
        response.headers["HX-Location"] = target
        return response
    return redirect(target)


def _corrected(form, resident: Resident, full: bool) -> tuple[dict, str | None] | None:
    """The person's values and the household's address the form asks for; None with the
    errors beside the fields when the household or the ID number cannot be taken."""
    address = (form.household_address.data or "").strip() or None
    person = {"phone": form.clean_phone, "guardian_name": form.guardian_name.data or None,
              "guardian_phone": form.clean_guardian_phone}
    if not full:
        return person, address
    hamlet = next((h for h in units_of(hamlets_in_scope(current_user))
                   if str(h.id) == form.hamlet_id.data), None)
    if hamlet is None:
        form.hamlet_id.errors.append(_("Choose a hamlet of your commune."))
        return None
    code = (form.household_code.data or "").strip()
    household = resident.household
    new_address = (form.new_household_address.data or "").strip()
    if new_address:  # a household the register does not have yet, in the hamlet chosen
        household = new_household(hamlet, new_address, user=current_user,
                                  head_name=form.full_name.data)
    elif code and (household is None or household.code != code
                   or household.hamlet_id != hamlet.id):
        household = household_by_code(hamlet, code)
        if household is None:
            form.household_code.errors.append(
                _("There is no household %(code)s in %(hamlet)s.", code=code, hamlet=hamlet.name))
            return None
    elif household is not None and household.hamlet_id != hamlet.id:
        form.household_code.errors.append(
            _("Enter the code of the household in %(hamlet)s.", hamlet=hamlet.name))
        return None
    taken = same_id_number(form.clean_id_number)
    if taken is not None and taken.id != resident.id:
        form.id_number.errors.append(_("This ID number already belongs to a resident."))
        return None
    status = ResidentStatus(form.status.data)
    person.update({
        "full_name": form.full_name.data, "sex": Sex(form.sex.data),
        "birth_date": form.birth_date.data, "birth_year": form.year,
        "id_number": form.clean_id_number, "hamlet_id": hamlet.id,
        "household_id": household.id if household else None,
        "chronic_condition": form.chronic_condition.data,
        "immunocompromised": form.immunocompromised.data, "pregnant": form.pregnant.data,
        "status": status, "status_since": form.status_since.data,
    })
    if household is not None and household.id != resident.household_id:
        address = None  # the household's own address stays as it is: the person moved in
    return person, address


@bp.route("/duplicates")
@requires(Action.MERGE_RESIDENTS)
def duplicates():
    """The commune's likely duplicates, each pair with its evidence: merge, or keep apart."""
    pairs = [pair for commune in communes_of(current_user)
             for pair in duplicates_in(commune)]
    # Names, births, ID numbers and phones of many people at once: one event for the page.
    audit.record_bulk_read("duplicates.view", "resident", None, unit_id=current_user.unit_id,
                           people=2 * len(pairs))
    response = render("residents/duplicates.html", pairs=pairs, form=PairForm(),
                      counts=_counts([p.first.id for p in pairs] + [p.second.id for p in pairs]))
    db.session.commit()
    return response


def _counts(ids: list[int]) -> dict[int, tuple[int, int]]:
    """Visits and doses of each resident: what a merge would bring together."""
    if not ids:
        return {}
    visits = dict(db.session.execute(select(Visit.resident_id, func.count()).where(
        Visit.resident_id.in_(ids)).group_by(Visit.resident_id)).all())
    doses = dict(db.session.execute(select(Dose.resident_id, func.count()).where(
        Dose.resident_id.in_(ids)).group_by(Dose.resident_id)).all())
    return {i: (visits.get(i, 0), doses.get(i, 0)) for i in ids}


def _pair(form: PairForm) -> tuple[Resident, Resident]:
    """The two residents a pair form names, both in the user's scope and of one commune."""
    first = get_in_scope_or_404(Resident, id_from(form.first_id.data) or 0, current_user)
    second = get_in_scope_or_404(Resident, id_from(form.second_id.data) or 0, current_user)
    if first.id == second.id or first.hamlet.parent_id != second.hamlet.parent_id:
        abort(400)
    return first, second


@bp.route("/duplicates/merge", methods=["POST"])
@requires(Action.MERGE_RESIDENTS)
def merge_pair():
    """Two records of one person made one: the one chosen stays, with everything of both."""
    form = PairForm()
    if not form.validate_on_submit() or form.keep.data not in ("first", "second"):
        abort(400)
    first, second = _pair(form)
    survivor, merged = (first, second) if form.keep.data == "first" else (second, first)
    merge(survivor, merged, user=current_user)
    db.session.commit()
    target = url_for("visits.card", resident_id=survivor.id, _anchor="history")
    if getattr(request, "htmx", False):
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


@bp.route("/duplicates/dismiss", methods=["POST"])
@requires(Action.MERGE_RESIDENTS)
def dismiss_pair():
    """Two people after all: not offered as a pair again."""
    form = PairForm()
    if not form.validate_on_submit():
        abort(400)
    first, second = _pair(form)
    not_duplicates(first, second, user=current_user)
    db.session.commit()
    return redirect(url_for("residents.duplicates"))


@bp.route("/merges")
@requires(Action.UNDO_MERGE)
def merges():
    """The merges made in the admin's communes, newest first, each with its undo."""
    rows = list(db.session.scalars(in_scope(current_user, ResidentMerge)
                                   .order_by(ResidentMerge.merged_at.desc()).limit(200)))
    return render("residents/merges.html", merges=rows, form=PairForm())


@bp.route("/merges/<int:merge_id>/undo", methods=["POST"])
@requires(Action.UNDO_MERGE)
def undo_merge_view(merge_id: int):
    """An admin takes a merge back: the two records as they were."""
    merge_row = get_in_scope_or_404(ResidentMerge, merge_id, current_user)
    try:
        undo_merge(merge_row, user=current_user)
    except UndoRefused:
        db.session.rollback()
        abort(409)
    db.session.commit()
    return redirect(url_for("residents.merges"))


def _mismatches():
    """The user's commune and its people to check (a commune lead has one commune)."""
    communes = communes_of(current_user)
    if not communes:
        abort(404)
    commune = communes[0]
    return commune, mismatches_in(commune, today_local())


@bp.route("/mismatches", methods=["GET", "POST"])
@requires(Action.CHECK_REGISTER)
def mismatches():
    """The people whose identity the commune police should check, by kind, to send; posted,
    the police's answer, whose corrections are applied with their history."""
    form = AnswerForm()
    answer, status = None, 200
    if request.method == "POST":
        if not can(current_user, Action.CORRECT_RESIDENT):
            abort(403)
        answer, status = _police_answer(form)
    commune, found = _mismatches()
    audit.record_bulk_read("mismatches.view", "commune", commune.id, unit_id=commune.id,
                           people=len(found))
    response = render("residents/mismatches.html", commune=commune, mismatches=found,
                      counts=counts_by_kind(found), labels=MISMATCH_KIND, form=form,
                      answer=answer, status=status)
    db.session.commit()
    return response


def _police_answer(form: AnswerForm):
    """The answer applied (committed), or the form's errors: (result or None, status)."""
    from portal.imports.reading import UnreadableFile, read_table

    if not form.validate_on_submit():
        return None, 422
    file = form.file.data
    try:
        table = read_table(file.filename or "tra-loi.xlsx", file.read())
        result = apply_police_answer(table, current_user, today_local())
    except UnreadableFile as unreadable:
        db.session.rollback()
        form.file.errors = [*form.file.errors, str(unreadable.message)]
        return None, 422
    except ValueError:
        db.session.rollback()
        form.file.errors = [*form.file.errors, _(
            "This is not the identities list the portal made: download it again, fill in the "
            "columns of the answer, and upload it.")]
        return None, 422
    audit.record("mismatches.answer", "commune", current_user.unit_id,
                 unit_id=current_user.unit_id,
                 after={"corrected": result.corrected, "unchanged": result.unchanged,
                        "refused": len(result.refused)})
    db.session.commit()
    return result, 200


@bp.route("/mismatches.<any(xlsx, pdf):file_format>")
@requires(Action.CHECK_REGISTER)
def mismatches_file(file_format: str):
    """The list for the police: Excel to answer in, or the official PDF (Decree 30/2020)."""
    from portal.lists.document import in_document_language

    with in_document_language():  # the details in the document's words too, whoever asks
        commune, found = _mismatches()
    document = police_document(commune, found, today_local())
    audit.record_bulk_read("mismatches.download", "commune", commune.id, unit_id=commune.id,
                           people=len(found), format=file_format)
    db.session.commit()
    if file_format == "pdf":
        from portal.lists.pdf import render_pdf

        body, kind = render_pdf(document), "application/pdf"
    else:
        body, kind = police_xlsx(document), XLSX
    return attachment(body, kind,
                      f"doi-chieu-dinh-danh-{commune.code}-{today_local():%Y%m%d}.{file_format}")



@bp.route("/households/<int:household_id>", methods=["GET", "POST"])
@requires(Action.CORRECT_RESIDENT)
def household(household_id: int):
    """A household: its members and history; its address and head corrected, or another
    household of the hamlet merged into it."""
    place = get_in_scope_or_404(Household, household_id, current_user)
    form = HouseholdForm(data={"address": place.address, "head_name": place.head_name or ""}
                         if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 422
        elif form.merge_code.data:
            other = household_by_code(place.hamlet, form.merge_code.data)
            if other is None or other.id == place.id:
                form.merge_code.errors.append(_("There is no other household %(code)s in "
                                                "%(hamlet)s.", code=form.merge_code.data.strip(),
                                                hamlet=place.hamlet.name))
                status = 422
            else:
                merge_households(place, other, user=current_user)
                db.session.commit()
                return redirect(url_for("residents.household", household_id=place.id))
        else:
            correct_household(place, {"address": (form.address.data or "").strip(),
                                      "head_name": (form.head_name.data or "").strip()},
                              user=current_user)
            db.session.commit()
            return redirect(url_for("residents.household", household_id=place.id))
    return render("residents/household.html", household=place, form=form, status=status,
                  members=members_of(place), history=history_of_household(place))


def _other_communes() -> list:
    """The communes of the user's province (or district, under the 2019 tree), but theirs: where
    a person of the portal may move."""
    mine = communes_of(current_user)
    if not mine:
        return []
    top = mine[0].parent
    while top is not None and top.parent is not None:
        top = top.parent
    within = units_of(communes_within(top)) if top is not None else []
    return [c for c in within if c.id not in {m.id for m in mine}]


@bp.route("/residents/<int:resident_id>/hand-over", methods=["POST"])
@requires(Action.CORRECT_RESIDENT)
def hand_over_view(resident_id: int):
    """The person moved to another commune of the portal: handed over, not deleted."""
    resident = get_in_scope_or_404(Resident, resident_id, current_user)
    form = HandOverForm()
    communes = _other_communes()
    form.commune_id.choices = [SelectChoice(str(c.id), c.name) for c in communes]
    if not form.validate_on_submit():
        abort(400)
    to = next(c for c in communes if str(c.id) == form.commune_id.data)
    hand_over(resident, to, user=current_user, today=today_local())
    db.session.commit()
    return redirect(url_for("visits.card", resident_id=resident.id, _anchor="history"))


@bp.route("/arrivals", methods=["GET"])
@requires(Action.CORRECT_RESIDENT)
def arrivals_view():
    """The people handed over to the commune by another: to place in a hamlet."""
    waiting = arrivals(current_user)
    hamlets = units_of(hamlets_in_scope(current_user))
    form = ReceiveForm()
    form.hamlet_id.choices = [SelectChoice(str(h.id), h.name) for h in hamlets]
    return render("residents/arrivals.html", arrivals=waiting, form=form)


@bp.route("/arrivals/<int:handover_id>", methods=["POST"])
@requires(Action.CORRECT_RESIDENT)
def receive_view(handover_id: int):
    """An arriving person placed in a hamlet and household of the commune."""
    handover = get_in_scope_or_404(ResidentHandover, handover_id, current_user)
    if handover.received_at is not None:
        abort(409)
    hamlets = units_of(hamlets_in_scope(current_user))
    form = ReceiveForm()
    form.hamlet_id.choices = [SelectChoice(str(h.id), h.name) for h in hamlets]
    if not form.validate_on_submit():
        abort(400)
    hamlet = next(h for h in hamlets if str(h.id) == form.hamlet_id.data)
    address = (form.new_household_address.data or "").strip()
    place = None
    if address:
        place = new_household(hamlet, address, user=current_user,
                              head_name=handover.resident.full_name)
    elif form.household_code.data:
        place = household_by_code(hamlet, form.household_code.data)
        if place is None:
            abort(400)
    receive(handover, hamlet, place, user=current_user)
    db.session.commit()
    return redirect(url_for("visits.card", resident_id=handover.resident_id, _anchor="history"))


@bp.route("/register")
@requires(Action.CORRECT_RESIDENT)
def register():
    """The commune's register work: people arriving, likely duplicates, identities to check."""
    return render("residents/register.html", arriving=len(arrivals(current_user)))
