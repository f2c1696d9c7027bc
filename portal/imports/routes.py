"""Imports on screen: upload, follow the reading, map the columns with a preview, follow the
import, read the outcome."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.access import Action, requires
from portal.auth.models import Role
from portal.extensions import db
from portal.ids import id_from
from portal.audit.log import record_bulk_read
from portal.imports import service
from portal.imports.forms import MappingForm, UploadForm, mapping_form
from portal.imports.models import Import, ImportKind, ImportState, UnmatchedDose
from portal.imports.platform import AlreadyMatched, ResidentElsewhere, match_unmatched_dose
from portal.imports.reading import REFUSALS, UnreadableFile
from portal.jobs.models import Job
from portal.rendering import render
from portal.scope import communes_of, get_in_scope_or_404, in_scope
from portal.residents.models import Resident
from portal.text import fold
from portal.units.models import AdministrativeUnit

bp = Blueprint("imports", __name__)

HISTORY_ROWS = 50


def _upload_form(**kwargs) -> UploadForm:
    """A commune lead's files are about their own commune; others choose one within scope."""
    lead = current_user.role is Role.COMMUNE_LEAD
    return UploadForm(communes=None if lead else communes_of(current_user), **kwargs)


def _index_page(form: UploadForm, status: int = 200):
    history = db.session.scalars(in_scope(current_user, Import)
                                 .order_by(Import.id.desc()).limit(HISTORY_ROWS)).all()
    return render("imports/index.html", status=status, history=history, form=form,
                  refusals=REFUSALS)


@bp.route("/imports")
@requires(Action.IMPORT_DATA)
def index():
    """The upload form and the history of imports within scope: who, when, which file, counts."""
    return _index_page(_upload_form(kind=ImportKind.RESIDENTS.value))


@bp.route("/imports", methods=["POST"])
@requires(Action.IMPORT_DATA)
def upload():
    """Keep an uploaded file and start reading it (a job: the page follows it, then asks for
    the columns); a file that is plainly no spreadsheet is refused here, and nothing is kept."""
    form = _upload_form()
    if not form.validate_on_submit():
        return _index_page(form, 422)
    commune = form.chosen_commune or current_user.unit
    file = form.file.data
    try:
        upload = service.upload(file.filename, file.read(), ImportKind(form.kind.data), commune,
                                current_user)
    except UnreadableFile as unreadable:
        db.session.rollback()
        form.file.errors = [*form.file.errors, str(unreadable.message)]
        return _index_page(form, 422)
    db.session.commit()
    return redirect(url_for("imports.show", import_id=upload.id))


@bp.route("/imports/<int:import_id>")
@requires(Action.IMPORT_DATA)
def show(import_id: int):
    """An import: its file being read, or refused and why; its column mapping while it waits,
    its progress, then what it did."""
    upload = get_in_scope_or_404(Import, import_id, current_user)
    return _show_page(upload)


def _show_page(upload: Import, form: MappingForm | None = None, error: str | None = None,
               status: int = 200):
    job = db.session.get(Job, upload.job_id) if upload.job_id else None
    if form is None and upload.state is ImportState.UPLOADED:
        form = mapping_form(upload, formdata=None, data=upload.mapping)
    return render("imports/show.html", block="outcome", status=status, upload=upload, job=job,
                  form=form, error=error, before=service.previous_import(upload),
                  refusal=REFUSALS.get(upload.refusal),
                  preview_headers=upload.headers[:service.PREVIEW_COLUMNS],
                  result_url=url_for("imports.show", import_id=upload.id))


@bp.route("/imports/<int:import_id>/start", methods=["POST"])
@requires(Action.IMPORT_DATA)
def start(import_id: int):
    """Take the mapping from the form and start the import."""
    upload = get_in_scope_or_404(Import, import_id, current_user)
    if upload.state in (ImportState.READING, ImportState.REFUSED):  # the page says which
        return _show_page(upload, status=409)
    if upload.state is not ImportState.UPLOADED:
        return _show_page(upload, error=_("This file has already been imported."), status=422)
    form = mapping_form(upload)
    if not form.validate_on_submit():
        return _show_page(upload, form, status=422)
    service.begin(upload, form.mapping, current_user)
    return redirect(url_for("imports.show", import_id=upload.id))


@bp.route("/imports/<int:import_id>/report")
@requires(Action.IMPORT_DATA)
def report(import_id: int):
    """The import's report (Excel): the rows not imported, with the reason for each; for a
    register, what it changed and the corrections by hand it kept."""
    upload = get_in_scope_or_404(Import, import_id, current_user)
    if upload.report is None:
        abort(404)
    name = f"bao-cao-nhap-{upload.id}.xlsx"
    return Response(upload.report, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    })


UNMATCHED_ROWS = 50


@bp.route("/imports/unmatched")
@requires(Action.IMPORT_DATA)
def unmatched():
    """Doses of the platform that matched no resident, waiting to be matched by hand.

    Each shows the residents of its commune whose name folds the same (or, with ?q=, whose
    name holds the words typed): one tap records the dose for the right one.
    """
    waiting = in_scope(current_user, UnmatchedDose).where(UnmatchedDose.resident_id.is_(None))
    rows = db.session.scalars(
        waiting.order_by(UnmatchedDose.commune_id, UnmatchedDose.full_name, UnmatchedDose.id)
        .limit(UNMATCHED_ROWS)
    ).all()
    count = db.session.scalar(select(func.count()).select_from(waiting.subquery()))
    candidates = {row.id: _candidates(row) for row in rows}
    record_bulk_read("dose.unmatched_view", "commune", current_user.unit_id,
                     unit_id=current_user.unit_id, people=len(rows))
    db.session.commit()
    return render("imports/unmatched.html", rows=rows, candidates=candidates, waiting=count)


def _candidates(row: UnmatchedDose, limit: int = 5) -> list[Resident]:
    """Residents of the row's commune with the same folded name, those born the same day first."""
    hamlets = select(AdministrativeUnit.id).where(AdministrativeUnit.parent_id == row.commune_id)
    found = db.session.scalars(
        select(Resident).where(Resident.hamlet_id.in_(hamlets),
                               Resident.name_folded == fold(row.full_name))
        .limit(20)
    ).all()
    born = row.birth_date or row.birth_year
    found.sort(key=lambda r: (r.birth_date != born and r.birth_year != born, r.id))
    return found[:limit]


@bp.route("/imports/unmatched/<int:dose_id>/match", methods=["POST"])
@requires(Action.IMPORT_DATA)
def match(dose_id: int):
    """Record a set-aside dose for the resident chosen; it leaves the list."""
    row = get_in_scope_or_404(UnmatchedDose, dose_id, current_user)
    resident_id = id_from(request.form.get("resident_id"))
    if resident_id is None:  # no one chosen
        return redirect(url_for("imports.unmatched"))
    resident = get_in_scope_or_404(Resident, resident_id, current_user)
    try:
        match_unmatched_dose(row, resident, current_user)
    except AlreadyMatched:  # by someone else meanwhile: it has left the list
        return redirect(url_for("imports.unmatched"))
    except ResidentElsewhere:
        abort(404)
    db.session.commit()
    return redirect(url_for("imports.unmatched"))
