"""The administrative units on screen (admin): the official list loaded or refreshed as a job
with its progress, what each load changed, and the hamlets of a commune (set by the province,
below the official list, which stops at communes) renamed or added."""

from __future__ import annotations

import re

from flask import abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal.access import Action, requires
from portal.admin.forms import HamletForm
from portal.admin.routes import bp
from portal.audit.log import record
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.jobs.models import Job
from portal.jobs.runner import handler, is_stale, start
from portal.rendering import render
from portal.scope import communes_of, units_in_scope
from portal.units.load import LoadError, load_units
from portal.units.models import AdministrativeUnit, UnitLevel, create_unit

JOB_KIND = "units_load"
# A hamlet's code: its commune's, a dash and a number ("31117-01").
_HAMLET_NUMBER = re.compile(r"-(\d+)$")
# A job's id (jobs.runner.start): anything else in the query string names no job.
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _province_of(user) -> AdministrativeUnit:
    """The province the admin's units lie in (their own unit, or the one above it)."""
    unit = user.unit
    while unit.parent is not None:
        unit = unit.parent
    return unit


def scheme_in_use() -> str:
    """The list this database holds: 2019 when it has districts, else 2025."""
    has_districts = db.session.scalar(select(AdministrativeUnit.id).where(
        AdministrativeUnit.level == UnitLevel.DISTRICT).limit(1))
    return "2019" if has_districts else "2025"


@handler(JOB_KIND)
def run_load(job: Job, progress) -> None:
    """The job: the official list of the admin's province loaded again (nothing deleted)."""
    province = db.session.get(AdministrativeUnit, job.subject_id)
    progress(10, "reading")
    # One transaction, committed at the end: on SQLite it holds the only writer, so the
    # progress (on a connection of its own) is not written while it runs.
    try:
        load_units(scheme_in_use(), province.code)
    except LoadError:
        db.session.rollback()
        raise
    db.session.commit()


def _loads(province: AdministrativeUnit) -> list[AuditEvent]:
    """The loads of the province's list, newest first, with what they changed."""
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "units.load", AuditEvent.object_id == province.code)
        .order_by(AuditEvent.id.desc()).limit(10)))


def _counts(province: AdministrativeUnit) -> dict[UnitLevel, int]:
    rows = db.session.execute(select(AdministrativeUnit.level, func.count()).where(
        AdministrativeUnit.path.like(province.path + "%")).group_by(AdministrativeUnit.level))
    return {level: n for level, n in rows}


@bp.route("/admin/units")
@requires(Action.MANAGE_UNITS)
def units():
    """The province's units: how many of each level, the loads of the official list, and the
    hamlets of a commune chosen."""
    province = _province_of(current_user)
    communes = communes_of(current_user)
    commune_id = request.args.get("commune", type=int)
    commune = next((c for c in communes if c.id == commune_id), None)
    hamlets = list(db.session.scalars(select(AdministrativeUnit).where(
        AdministrativeUnit.parent_id == commune.id).order_by(AdministrativeUnit.code))) \
        if commune else []
    job_id = request.args.get("job", "")
    job = db.session.get(Job, job_id) if _UUID.match(job_id) else None
    if job is not None and (job.kind != JOB_KIND or job.subject_id != province.id):
        job = None
    return render("admin/units.html", province=province, counts=_counts(province),
                  loads=_loads(province), communes=communes, commune=commune, hamlets=hamlets,
                  form=HamletForm(), job=job, stale=job is not None and is_stale(job),
                  scheme=scheme_in_use())


@bp.route("/admin/units/load", methods=["POST"])
@requires(Action.MANAGE_UNITS)
def units_load():
    """Load the official list of the province again, as a job; the page follows it."""
    province = _province_of(current_user)
    job = start(JOB_KIND, subject_type="units", subject_id=province.id, unit_id=province.id,
                user=current_user)
    return redirect(url_for("admin.units", job=job.id))


@bp.route("/admin/units/hamlets/<int:hamlet_id>", methods=["POST"])
@requires(Action.MANAGE_UNITS)
def hamlet_rename(hamlet_id: int):
    """A hamlet renamed (and its kind: Khu vực, Ấp, Thôn, Tổ dân phố)."""
    hamlet = _hamlet_in_scope(hamlet_id)
    form = HamletForm()
    if not form.validate_on_submit():
        abort(400)
    before = {"name": hamlet.name, "kind": hamlet.kind}
    hamlet.name, hamlet.kind = form.name.data.strip(), form.kind.data.strip()
    record("unit.rename", "administrative_unit", hamlet.code, unit_id=hamlet.id,
           before=before, after={"name": hamlet.name, "kind": hamlet.kind})
    db.session.commit()
    return redirect(url_for("admin.units", commune=hamlet.parent_id, _anchor=f"h{hamlet.id}"))


@bp.route("/admin/units/communes/<int:commune_id>/hamlets", methods=["POST"])
@requires(Action.MANAGE_UNITS)
def hamlet_add(commune_id: int):
    """A hamlet the province set that no list has yet, with the commune's next code."""
    commune = next((c for c in communes_of(current_user) if c.id == commune_id), None)
    if commune is None:
        abort(404)
    form = HamletForm()
    if not form.validate_on_submit():
        abort(400)
    numbers = [int(m.group(1)) for m in (_HAMLET_NUMBER.search(code) for code in db.session.scalars(
        select(AdministrativeUnit.code).where(AdministrativeUnit.parent_id == commune.id))) if m]
    code = f"{commune.code}-{max(numbers, default=0) + 1:02d}"
    hamlet = create_unit(code=code, name=form.name.data.strip(), kind=form.kind.data.strip(),
                         level=UnitLevel.HAMLET, parent=commune)
    record("unit.create", "administrative_unit", code, unit_id=hamlet.id,
           after={"name": hamlet.name, "kind": hamlet.kind, "commune": commune.code})
    db.session.commit()
    return redirect(url_for("admin.units", commune=commune.id, _anchor=f"h{hamlet.id}"))


def _hamlet_in_scope(hamlet_id: int) -> AdministrativeUnit:
    """A hamlet within the admin's area; 404 otherwise."""
    hamlet = db.session.scalar(select(AdministrativeUnit).where(
        AdministrativeUnit.id == hamlet_id, AdministrativeUnit.level == UnitLevel.HAMLET,
        AdministrativeUnit.id.in_(units_in_scope(current_user))))
    if hamlet is None:
        abort(404)
    return hamlet
