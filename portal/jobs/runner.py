"""Start jobs and run them: on RQ when REDIS_URL is set, else in a thread of this process.

A handler is a function(job, progress) registered for a kind of job with @handler. It works
through db.session and commits its own results; progress(percent, stage) records where it
stands on a connection of its own, so that the page polling the job sees it move while the
work goes on. A job that raises is marked failed, its error logged, nothing else touched.

With Redis, `flask jobs worker` runs the jobs (RQ forks a process for each one); the web
processes only enqueue. Without it, the web process that started a job runs it in a thread:
right for one machine and the demo, and a job dies with its process (it is then shown as
failed once JOB_TIMEOUT has passed, and can be started again).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import select, update

from portal.extensions import db
from portal.jobs.models import Job, JobState
from portal.timeutil import utcnow

HANDLERS: dict[str, Callable] = {}
QUEUE_NAME = "tungnha"
_threads: list[threading.Thread] = []


def handler(kind: str):
    """Register the function that does the jobs of this kind."""

    def register(function):
        HANDLERS[kind] = function
        return function

    return register


def start(kind: str, *, subject_type: str, subject_id: int, unit_id: int | None, user) -> Job:
    """The job of this kind already under way on this subject, or a new one, queued.

    Commits: the job must be in the database before a worker can look for it.
    """
    running = active(kind, subject_type, subject_id)
    if running is not None:
        return running
    job = Job(id=str(uuid.uuid4()), kind=kind, subject_type=subject_type,
              subject_id=subject_id, unit_id=unit_id,
              state=JobState.QUEUED, progress=0, stage="queued",
              created_by_id=getattr(user, "id", None), created_at=utcnow())
    db.session.add(job)
    db.session.commit()
    _dispatch(current_app._get_current_object(), job.id)
    return job


def active(kind: str, subject_type: str, subject_id: int) -> Job | None:
    """The newest queued or running job of this kind on this subject, unless it went stale."""
    job = db.session.scalars(
        select(Job)
        .where(Job.kind == kind, Job.subject_type == subject_type,
               Job.subject_id == subject_id,
               Job.state.in_([JobState.QUEUED, JobState.RUNNING]))
        .order_by(Job.created_at.desc())
        .limit(1)
    ).first()
    if job is not None and is_stale(job):
        return None
    return job


def is_stale(job: Job) -> bool:
    """An unfinished job older than JOB_TIMEOUT: its process died, or no worker is running."""
    timeout = timedelta(seconds=current_app.config["JOB_TIMEOUT"])
    return not job.finished and job.created_at < utcnow() - timeout


def _dispatch(app: Flask, job_id: str) -> None:
    url = app.config.get("REDIS_URL")
    if not url:
        thread = threading.Thread(target=_perform_in_thread, args=(app, job_id),
                                  name=f"job-{job_id}", daemon=True)
        _threads[:] = [alive for alive in _threads if alive.is_alive()] + [thread]
        thread.start()
        return
    from redis.exceptions import RedisError

    try:
        queue(url, timeout=app.config["REDIS_TIMEOUT"]).enqueue(
            "portal.jobs.runner.perform", job_id, job_id=job_id,
            job_timeout=app.config["JOB_TIMEOUT"], result_ttl=0, failure_ttl=7 * 24 * 3600)
    except RedisError:
        app.logger.exception("job %s: could not reach the queue", job_id)
        _set(job_id, state=JobState.FAILED, stage="queue_unavailable", error="queue unavailable",
             finished_at=utcnow())


def queue(url: str, timeout: float | None = None):
    """The portal's RQ queue on the Redis at url, its commands given up after timeout seconds
    (None: no end), so that a Redis out of reach fails a request fast rather than hangs it."""
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout))


def _perform_in_thread(app: Flask, job_id: str) -> None:
    with app.app_context():
        perform(job_id)
        db.session.remove()


def perform(job_id: str) -> None:
    """Run one job to its end, inside an app context: a thread of the web process, or RQ's
    worker started by `flask jobs worker`, which calls this by name in the app it built."""
    if not has_app_context():
        raise RuntimeError("jobs run inside the portal's app: start workers with `flask jobs worker`")
    job = db.session.get(Job, job_id)
    if job is None or job.finished:
        return
    job.state = JobState.RUNNING
    job.started_at = utcnow()
    job.stage = "started"
    db.session.commit()
    try:
        HANDLERS[job.kind](job, Progress(job_id))
    except Exception as error:  # noqa: BLE001 (any failure ends the job, and is logged)
        db.session.rollback()
        current_app.logger.exception("job %s (%s) failed", job_id, job.kind)
        _set(job_id, state=JobState.FAILED, stage="failed", error=repr(error)[:2000],
             finished_at=utcnow())
        return
    _set(job_id, state=JobState.DONE, progress=100, stage="done", finished_at=utcnow())


class Progress:
    """Records a running job's percentage and stage; writes only when they change."""

    def __init__(self, job_id: str):
        self.job_id = job_id
        self.last: tuple[int, str] | None = None

    def __call__(self, percent: float, stage: str) -> None:
        now = (max(0, min(99, int(percent))), stage)
        if now != self.last:
            self.last = now
            _set(self.job_id, progress=now[0], stage=stage)


def _set(job_id: str, **values) -> None:
    """Update a job on a connection of its own, whatever the session is in the middle of."""
    with db.engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(**values))


def join_threads(timeout: float = 120.0) -> None:
    """Wait for the jobs running in threads of this process (tests, and a clean shutdown)."""
    for thread in list(_threads):
        thread.join(timeout)


def wait(job_id: str, timeout: float = 120.0) -> Job:
    """Block until the job has finished (for the CLI and tests); the job as it ended."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        if job.finished or time.monotonic() > deadline:
            db.session.rollback()
            return job
        time.sleep(0.05)
