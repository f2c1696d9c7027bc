"""Jobs off the request: `flask jobs worker` runs what the web processes queue, in its own app."""

from __future__ import annotations


from redis import Redis

from portal.extensions import db
from portal.jobs import runner
from portal.jobs.models import Job, JobState

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"  # a database of the tests' own, emptied here


def test_the_worker_command_runs_a_queued_job_in_a_process_of_its_own(app, tmp_path):
    connection = Redis.from_url(REDIS_TEST_URL)
    connection.flushdb()  # fails here, loudly, when no Redis runs: CI has one
    app.config["REDIS_URL"] = REDIS_TEST_URL
    proof = tmp_path / "ran"

    @runner.handler("test_proof")
    def write_proof(job: Job, progress) -> None:
        import os

        progress(50, "writing")
        proof.write_text(f"{job.id} {os.getpid()}")

    try:
        with app.app_context():
            job_id = runner.start("test_proof", subject_type="test", subject_id=1, unit_id=None,
                                  user=None).id
            assert db.session.get(Job, job_id).state is JobState.QUEUED  # queued, not run here
        result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            assert db.session.get(Job, job_id).state is JobState.DONE
        ran_by, pid = proof.read_text().split()
        assert ran_by == job_id and int(pid) != __import__("os").getpid()  # RQ forked for it
    finally:
        runner.HANDLERS.pop("test_proof", None)
        connection.flushdb()
