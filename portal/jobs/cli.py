"""`flask jobs worker`: run queued jobs from Redis (REDIS_URL) until stopped."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db
from portal.jobs.runner import QUEUE_NAME

jobs_cli = AppGroup("jobs", help="Background jobs: list files and imports.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run jobs from the queue on REDIS_URL (each in a process of its own)."""
    from redis import Redis
    from rq import Worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException(
            "REDIS_URL chưa được đặt: không có hàng đợi, công việc chạy ngay trong tiến trình web. "
            "(REDIS_URL is not set: without a queue, jobs run inside the web process.)"
        )
    # RQ forks a process for each job: none may inherit a database connection of this one.
    db.engine.dispose()
    Worker([QUEUE_NAME], connection=Redis.from_url(url)).work(burst=burst, with_scheduler=False)
