"""A job's progress, polled by HTMX until the job ends."""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_login import current_user, login_required

from portal.jobs.runner import is_stale
from portal.rendering import render
from portal.scope import get_job_in_scope_or_404

bp = Blueprint("jobs", __name__)

# What shows a job's result, by what it works on: the fragment that replaces the progress bar.
RESULT_VIEWS = {"list": ("lists.list_files", "list_id"), "import": ("imports.show", "import_id")}


@bp.route("/jobs/<job_id>")
@login_required
def progress(job_id: str):
    """The progress bar of a job in scope, or what it produced once it has ended.

    Whoever may see what the job works on may watch it (the view of that subject checks the
    permission to act on it); the page polls this every second while the job runs.
    """
    job = get_job_in_scope_or_404(job_id, current_user)
    view = RESULT_VIEWS.get(job.subject_type)
    result_url = url_for(view[0], **{view[1]: job.subject_id}) if view else None
    return render("jobs/progress.html", block="job", job=job, stale=is_stale(job),
                  result_url=result_url)
