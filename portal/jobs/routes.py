"""A job's progress, polled by HTMX until the job ends."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, url_for
from flask_login import current_user, login_required

from portal.extensions import db
from portal.imports.models import Import
from portal.jobs.models import Job
from portal.jobs.runner import is_stale
from portal.lists.models import ComplianceList
from portal.rendering import render
from portal.scope import get_in_scope_or_404, in_scope

bp = Blueprint("jobs", __name__)

# What a job may work on: the model (whose scope is the job's), and the view whose fragment
# replaces the progress bar when the job ends.
SUBJECTS = {
    "list": (ComplianceList, "lists.list_files", "list_id"),
    "import": (Import, "imports.show", "import_id"),
}


def job_in_scope_or_404(job_id: str, user) -> Job:
    """A job whose subject lies within the user's scope (a job on nothing: by its own scope)."""
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    if job.subject_type in SUBJECTS:
        get_in_scope_or_404(SUBJECTS[job.subject_type][0], job.subject_id, user)
    elif db.session.scalar(in_scope(user, Job).where(Job.id == job.id)) is None:
        abort(404)
    return job


# Job ids are UUIDs (jobs.runner.start): anything else in the URL, a NUL byte say, is no route.
@bp.route("/jobs/<uuid:job_id>")
@login_required
def progress(job_id: uuid.UUID):
    """The progress bar of a job in scope, or what it produced once it has ended.

    Whoever may see what the job works on may watch it (the view of that subject checks the
    permission to act on it); the page polls this every second while the job runs.
    """
    job = job_in_scope_or_404(str(job_id), current_user)
    subject = SUBJECTS.get(job.subject_type)
    result_url = url_for(subject[1], **{subject[2]: job.subject_id}) if subject else None
    return render("jobs/progress.html", block="job", job=job, stale=is_stale(job),
                  result_url=result_url)
