"""`flask jobs worker`: run queued jobs from Redis (REDIS_URL) until stopped."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.extensions import db
from portal.jobs.runner import QUEUE_NAME

jobs_cli = AppGroup("jobs", help="Background jobs: list files and imports.")


def app_worker(app: Flask, base=None):
    """An RQ worker class that runs each job inside `app`'s context: the worker's app is the
    one this command built, and each job (in a process RQ forks for it) works in it."""
    from rq import Worker

    class AppWorker(base or Worker):
        def perform_job(self, job, queue, *args, **kwargs):
            with app.app_context():
                return super().perform_job(job, queue, *args, **kwargs)

    return AppWorker


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run jobs from the queue on REDIS_URL (each in a process of its own)."""
    from redis import Redis

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException(
            "REDIS_URL chưa được đặt: không có hàng đợi, công việc chạy ngay trong tiến trình web. "
            "(REDIS_URL is not set: without a queue, jobs run inside the web process.)"
        )
    # RQ forks a process for each job: none may inherit a database connection of this one.
    db.engine.dispose()
    worker_class = app_worker(current_app._get_current_object())
    worker_class([QUEUE_NAME], connection=Redis.from_url(url)).work(
        burst=burst, with_scheduler=False)
