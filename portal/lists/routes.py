"""Compliance lists on screen: the commune's preview and submission, the district's review."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.access import Action, can, requires
from portal.audit.log import record, record_bulk_read
from portal.audit.models import AuditEvent
from portal.campaigns.active import chosen_campaign
from portal.extensions import db
from portal.lists import files
from portal.lists.browse import FoundLists, campaigns_with_lists, find_lists
from portal.lists.compliance import preview_list
from portal.lists.document import is_final, proposed_signer
from portal.lists.forms import ApproveForm, ListFilterForm, ReturnForm, SubmitListForm
from portal.lists.models import ComplianceList, ListState
from portal.lists.workflow import TransitionRefused, approve, send_back, submit, versions
from portal.rendering import render
from portal.scope import communes_of, get_in_scope_or_404
from portal.timeutil import today_local

bp = Blueprint("lists", __name__)

PREVIEW_ROWS = 100


def _campaign_or_404():
    campaign = chosen_campaign(current_user)
    if campaign is None:
        abort(404)
    return campaign


def _preview_page(form: SubmitListForm | None = None, error: str | None = None,
                  status: int = 200):
    campaign = _campaign_or_404()
    commune = current_user.unit
    preview = preview_list(campaign, commune, today_local(), PREVIEW_ROWS)
    # Names and reasons of the commune: one event for the page.
    record_bulk_read("list.preview", "commune", commune.id, unit_id=commune.id,
                     people=len(preview.entries), campaign=campaign.id)
    db.session.commit()
    earlier = versions(campaign, commune)
    if form is None:
        title, name = proposed_signer(earlier)
        form = SubmitListForm(formdata=None, signer_title=title, signer_name=name)
    return render("lists/preview.html", status=status, campaign=campaign, commune=commune,
                  entries=preview.entries, total=preview.total, by_reason=preview.by_reason,
                  by_hamlet=preview.by_hamlet,
                  versions=earlier, form=form, error=error)


@bp.route("/lists/preview")
@requires(Action.PREPARE_LIST)
def preview():
    """Today's list of the lead's commune: counts by reason and hamlet, the rows, the versions."""
    return _preview_page()


@bp.route("/lists/submit", methods=["POST"])
@requires(Action.PREPARE_LIST)
def submit_list():
    """Freeze today's list as the next version and send it to the district."""
    campaign = _campaign_or_404()
    form = SubmitListForm()
    if not form.validate_on_submit():
        return _preview_page(form, status=422)
    try:
        submitted = submit(current_user, campaign, current_user.unit, today_local(),
                           signer_title=form.signer_title.data or None,
                           signer_name=form.signer_name.data or None)
    except TransitionRefused as refused:
        db.session.rollback()
        return _preview_page(form, error=str(refused), status=422)
    db.session.commit()
    return redirect(url_for("lists.show", list_id=submitted.id))


@bp.route("/lists")
@requires(Action.VIEW_LISTS)
def index():
    """Lists of the communes in scope, those waiting for review first.

    Filtered by state, campaign, commune and date (the day it was approved, or submitted if
    it has not been); a clerk, who sees approved lists only, downloads their files from here.
    A filter the form refuses lists nothing, with the reason above the rows.
    """
    form = ListFilterForm(request.args)
    communes = communes_of(current_user)
    form.offer(campaigns_with_lists(current_user), communes)
    found = find_lists(current_user, form.filters) if form.validate() else FoundLists([])
    return render("lists/index.html", block="rows", form=form, found=found,
                  formats=files.FORMATS, choose_commune=len(communes) > 1)


@bp.route("/lists/<int:list_id>")
@requires(Action.VIEW_LISTS)
def show(list_id: int):
    """One version of a list: its rows, its counts, its timeline, and the review for the district."""
    return _show_page(get_in_scope_or_404(ComplianceList, list_id, current_user))


def _show_page(compliance_list: ComplianceList, *, approve_form: ApproveForm | None = None,
               return_form: ReturnForm | None = None, error: str | None = None,
               status: int = 200):
    record_bulk_read("list.view", "list", compliance_list.id,
                     unit_id=compliance_list.commune_id, people=len(compliance_list.rows))
    db.session.commit()
    timeline = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "list",
               AuditEvent.object_id.in_([str(v.id) for v in versions(
                   compliance_list.campaign, compliance_list.commune)]),
               AuditEvent.action.in_(["list.submit", "list.approve", "list.return"]))
        .order_by(AuditEvent.id)
    ).all()
    reasons = {}
    hamlets = {}
    for row in compliance_list.rows:
        reasons[row.reason] = reasons.get(row.reason, 0) + 1
        hamlets[row.hamlet_name] = hamlets.get(row.hamlet_name, 0) + 1
    return render("lists/show.html", status=status, lst=compliance_list, timeline=timeline,
                  by_reason=reasons, by_hamlet=hamlets, error=error,
                  can_review=can(current_user, Action.REVIEW_LIST)
                  and compliance_list.state is ListState.SUBMITTED,
                  approve_form=approve_form or ApproveForm(formdata=None),
                  return_form=return_form or ReturnForm(formdata=None),
                  **_files_context(compliance_list))


def _files_context(compliance_list: ComplianceList) -> dict:
    if not can(current_user, Action.DOWNLOAD_LISTS):
        return {"ready": None, "job": None, "final": None}
    ready = files.stored_files(compliance_list)
    return {"ready": ready, "formats": files.FORMATS, "missing": files.missing(ready),
            "job": files.job_under_way(compliance_list), "final": is_final(compliance_list)}


@bp.route("/lists/<int:list_id>/files")
@requires(Action.DOWNLOAD_LISTS)
def list_files(list_id: int):
    """The list's download links, or the progress of their rendering: a page of their own,
    or for HTMX the section alone."""
    compliance_list = get_in_scope_or_404(ComplianceList, list_id, current_user)
    return render("lists/files.html", block="files", lst=compliance_list,
                  **_files_context(compliance_list))


@bp.route("/lists/<int:list_id>/files", methods=["POST"])
@requires(Action.DOWNLOAD_LISTS)
def prepare_files(list_id: int):
    """Start rendering the files the list lacks; the page then polls the job."""
    compliance_list = get_in_scope_or_404(ComplianceList, list_id, current_user)
    files.prepare(compliance_list, current_user)
    if request.htmx:
        return list_files(list_id)
    return redirect(url_for("lists.show", list_id=list_id, _anchor="files"))


@bp.route(f"/lists/<int:list_id>/download/<any({', '.join(files.FORMAT)}):file_format>")
@requires(Action.DOWNLOAD_LISTS)
def download(list_id: int, file_format: str):
    """The stored file, the same bytes every time; 404 with a way on if not rendered yet."""
    compliance_list = get_in_scope_or_404(ComplianceList, list_id, current_user)
    stored = files.stored_file(compliance_list, file_format)
    if stored is None:
        return redirect(url_for("lists.show", list_id=list_id, _anchor="files"))
    content = files.local_copy(stored).read_bytes()
    record("list.download", "list", compliance_list.id, unit_id=compliance_list.commune_id,
           after={"format": file_format, "sha256": stored.sha256, "final": stored.final})
    db.session.commit()
    name = files.file_name(compliance_list, file_format)
    return Response(content, content_type=files.FORMAT[file_format].media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "ETag": f'"{stored.sha256}"',
        # Personal data: no cache keeps a copy (the security headers' default, said here too).
        "Cache-Control": "no-store",
    })


@bp.route("/lists/<int:list_id>/approve", methods=["POST"])
@requires(Action.REVIEW_LIST)
def approve_list(list_id: int):
    compliance_list = get_in_scope_or_404(ComplianceList, list_id, current_user)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _show_page(compliance_list, approve_form=form, status=422)
    try:
        approve(current_user, compliance_list, form.comment.data)
    except TransitionRefused as refused:
        db.session.rollback()
        return _show_page(compliance_list, approve_form=form, error=str(refused), status=422)
    db.session.commit()
    files.prepare(compliance_list, current_user)  # the clerk finds the approved files ready
    return redirect(url_for("lists.show", list_id=compliance_list.id))


@bp.route("/lists/<int:list_id>/return", methods=["POST"])
@requires(Action.REVIEW_LIST)
def return_list(list_id: int):
    compliance_list = get_in_scope_or_404(ComplianceList, list_id, current_user)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _show_page(compliance_list, return_form=form, status=422)
    try:
        send_back(current_user, compliance_list, form.comment.data)
    except TransitionRefused as refused:
        db.session.rollback()
        return _show_page(compliance_list, return_form=form, error=str(refused), status=422)
    db.session.commit()
    return redirect(url_for("lists.show", list_id=compliance_list.id))
