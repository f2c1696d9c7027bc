"""Compliance lists on screen: the commune's preview and submission, the district's review."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.access import Action, can, requires
from portal.audit.log import record
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.lists.compliance import compile_list, counts_by_hamlet, counts_by_reason
from portal.lists.models import ComplianceList, ListState
from portal.lists.workflow import TransitionRefused, approve, send_back, submit, versions
from portal.main.dashboard import active_campaign
from portal.rendering import render
from portal.scope import get_in_scope_or_404, lists_in_scope
from portal.timeutil import today_local

bp = Blueprint("lists", __name__)

PREVIEW_ROWS = 100


def _campaign_or_404():
    campaign = active_campaign(current_user)
    if campaign is None:
        abort(404)
    return campaign


def _preview_page(error: str | None = None, status: int = 200):
    campaign = _campaign_or_404()
    commune = current_user.unit
    entries = compile_list(campaign, commune, today_local())
    record("list.preview", "commune", commune.id, unit_id=commune.id)  # names and reasons shown
    db.session.commit()
    return render("lists/preview.html", status=status, campaign=campaign, commune=commune,
                  entries=entries[:PREVIEW_ROWS], total=len(entries),
                  by_reason=counts_by_reason(entries), by_hamlet=counts_by_hamlet(entries),
                  versions=versions(campaign, commune), error=error)


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
    try:
        submitted = submit(current_user, campaign, current_user.unit, today_local(),
                           signer_title=request.form.get("signer_title", "").strip()[:80] or None,
                           signer_name=request.form.get("signer_name", "").strip()[:120] or None)
    except TransitionRefused as refused:
        db.session.rollback()
        return _preview_page(error=str(refused), status=422)
    db.session.commit()
    return redirect(url_for("lists.show", list_id=submitted.id))


@bp.route("/lists")
@requires(Action.VIEW_LISTS)
def index():
    """Lists of the communes in scope, those waiting for review first; filter by state."""
    state = request.args.get("state", "")
    statement = lists_in_scope(current_user)
    if state in {s.value for s in ListState}:
        statement = statement.where(ComplianceList.state == ListState(state))
    found = db.session.scalars(statement.order_by(
        (ComplianceList.state != ListState.SUBMITTED), ComplianceList.submitted_at.desc()
    ).limit(200)).all()
    return render("lists/index.html", block="rows", lists=found, state=state, states=list(ListState))


@bp.route("/lists/<int:list_id>")
@requires(Action.VIEW_LISTS)
def show(list_id: int):
    """One version of a list: its rows, its counts, its timeline, and the review for the district."""
    return _show_page(get_in_scope_or_404(ComplianceList, list_id, current_user))


def _show_page(compliance_list: ComplianceList, error: str | None = None, status: int = 200):
    record("list.view", "list", compliance_list.id, unit_id=compliance_list.commune_id)
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
                  and compliance_list.state is ListState.SUBMITTED)


@bp.route("/lists/<int:list_id>/approve", methods=["POST"])
@requires(Action.REVIEW_LIST)
def approve_list(list_id: int):
    compliance_list = get_in_scope_or_404(ComplianceList, list_id, current_user)
    try:
        approve(current_user, compliance_list, request.form.get("comment", "").strip()[:1000])
    except TransitionRefused as refused:
        db.session.rollback()
        return _show_page(compliance_list, error=str(refused), status=422)
    db.session.commit()
    return redirect(url_for("lists.show", list_id=compliance_list.id))


@bp.route("/lists/<int:list_id>/return", methods=["POST"])
@requires(Action.REVIEW_LIST)
def return_list(list_id: int):
    compliance_list = get_in_scope_or_404(ComplianceList, list_id, current_user)
    try:
        send_back(current_user, compliance_list, request.form.get("comment", "")[:1000])
    except TransitionRefused as refused:
        db.session.rollback()
        return _show_page(compliance_list, error=str(refused), status=422)
    db.session.commit()
    return redirect(url_for("lists.show", list_id=compliance_list.id))
