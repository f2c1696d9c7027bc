"""gunicorn settings for a benchmark that kills workers: each worker, once it has loaded the app,
appends its pid to BENCH_WORKER_READY_FILE, so the harness knows when a replacement can serve."""

import os


def post_worker_init(worker):
    """Called by gunicorn in the worker, after the app is loaded, before the first request."""
    path = os.environ.get("BENCH_WORKER_READY_FILE")
    if path:
        with open(path, "a", encoding="ascii") as ready:
            ready.write(f"{os.getpid()}\n")
