"""The RQ page against the real Redis with a real worker: failed, retried, deleted and
abandoned jobs, through rq's own API."""
import os
import signal
import subprocess
import sys
import time

import pytest
from rq.job import Job, JobStatus

from webapp.accounts.services import create_user
from webapp.extensions import db
from webapp.queues import queue, redis_connection
from webapp.supervision import jobqueues

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def supervisor(login_as):
    """A signed-in supervisor."""
    return login_as("supervisor")


def status(job):
    """The job's state, fresh from Redis."""
    return Job.fetch(job.id, connection=redis_connection()).get_status()


def test_failed_job_is_listed_and_its_retry_runs_on_the_real_worker(
        app, supervisor, run_worker, sqlite_url, tmp_path):
    folder = tmp_path / "made-later"
    job = queue("default").enqueue("os.rmdir", str(folder))  # fails: no such folder yet
    run_worker(sqlite_url, "default")
    assert status(job) == JobStatus.FAILED
    page = supervisor.get("/console/queues").get_data(as_text=True)
    assert f'data-job="{job.id}"' in page and "os.rmdir" in page
    assert "FileNotFoundError" in page and str(folder) in page
    failed = {row["key"]: row["failed"] for row in jobqueues.queue_stats()}
    assert failed["default"] >= 1
    folder.mkdir()
    answer = supervisor.post(f"/console/queues/default/jobs/{job.id}/retry")
    assert answer.status_code == 200 and "Job queued again." in answer.get_data(as_text=True)
    assert status(job) == JobStatus.QUEUED
    run_worker(sqlite_url, "default")
    assert status(job) == JobStatus.FINISHED and not folder.exists()
    # retried once: a second retry of the same job is refused plainly
    again = supervisor.post(f"/console/queues/default/jobs/{job.id}/retry")
    assert again.status_code == 409
    assert "no longer among the failed jobs" in again.get_data(as_text=True)


def empty_failed(name):
    """Clear a queue's waiting and failed jobs left by earlier tests of the run (they share
    the queues; a leftover job would run and fail in this test's worker), so the counts
    below are this test's own."""
    queue(name).empty()
    registry = queue(name).failed_job_registry
    for job_id in registry.get_job_ids():
        registry.remove(job_id, delete_job=True)


def test_delete_one_then_retry_all_and_delete_all(app, supervisor, run_worker, sqlite_url,
                                                  tmp_path):
    empty_failed("packing")
    jobs = [queue("packing").enqueue("os.rmdir", str(tmp_path / f"x{n}")) for n in range(3)]
    run_worker(sqlite_url, "packing")
    assert all(status(job) == JobStatus.FAILED for job in jobs)
    supervisor.post(f"/console/queues/packing/jobs/{jobs[0].id}/delete")
    assert not Job.exists(jobs[0].id, connection=redis_connection())
    answer = supervisor.post("/console/queues/packing/failed/retry").get_data(as_text=True)
    assert "2 jobs queued again." in answer
    assert all(status(job) == JobStatus.QUEUED for job in jobs[1:])
    run_worker(sqlite_url, "packing")
    assert supervisor.post("/console/queues/packing/failed/delete").status_code == 200
    assert queue("packing").failed_job_registry.count == 0
    assert not any(Job.exists(job.id, connection=redis_connection()) for job in jobs)


def test_abandoned_job_is_shown_and_requeued(app, supervisor, run_worker, sqlite_url, factory,
                                             tmp_path):
    flag = tmp_path / "flag"
    _left_by_earlier_tests(queue("reconciliation"))
    job = queue("reconciliation").enqueue(
        "subprocess.check_call", ["sh", "-c", f"test -e {flag} || sleep 120"], job_timeout=600)
    env = {**os.environ, **factory.settings(sqlite_url)}
    worker = subprocess.Popen([sys.executable, "-m", "worker", "reconciliation"], cwd=ROOT,
                              env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        # A worker starting on a loaded 2-core machine took over 20 s to import the app
        # and take the job: wait for what is being tested (the job started), not a clock.
        deadline = time.monotonic() + 180
        while status(job) != JobStatus.STARTED and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status(job) == JobStatus.STARTED
        page = supervisor.get("/console/queues").get_data(as_text=True)
        assert 'data-state="busy"' in page and "subprocess.check_call" in page
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the machine dies mid-job
        worker.wait()
    # rq declares the job abandoned once its execution's TTL has passed; let its own
    # cleanup judge as of a time past that TTL instead of waiting minutes.
    queue("reconciliation").started_job_registry.cleanup(timestamp=time.time() + 3600)
    page = supervisor.get("/console/queues").get_data(as_text=True)
    assert f'data-job="{job.id}"' in page and "abandoned" in page
    flag.touch()
    supervisor.post(f"/console/queues/reconciliation/jobs/{job.id}/retry")
    run_worker(sqlite_url, "reconciliation")
    assert status(job) == JobStatus.FINISHED


def _left_by_earlier_tests(reconciliation):
    """Drop what earlier tests of this run left in the queue: a job that failed there
    (its database gone with its test) waits in the scheduled registry for RQ's retry,
    and this test's burst worker ran it when it fell due: twice under load the
    worker's 120 s ran out on such a job, not this test's. The queue is this run's own."""
    reconciliation.empty()
    scheduled = reconciliation.scheduled_job_registry
    for job_id in scheduled.get_job_ids():
        scheduled.remove(job_id, delete_job=True)


def test_bad_requests_are_answered_plainly(supervisor):
    assert supervisor.post("/console/queues/nope/jobs/abc/retry").status_code == 404
    assert supervisor.post("/console/queues/default/jobs/abc/explode").status_code == 404
    assert supervisor.post("/console/queues/default/jobs/no-such-job/retry").status_code == 409
    assert supervisor.post("/console/queues/default/jobs/%3Cscript%3E/delete").status_code == 409
    assert supervisor.post("/console/queues/nope/failed/retry").status_code == 404


def test_redis_down_is_said_not_a_500(factory, sqlite_url, app):
    create_user("sup-down", "pw-123456", ["supervisor"])
    db.session.commit()
    down = factory.get(sqlite_url, REDIS_URL="redis://127.0.0.1:1/0")
    client = down.test_client()
    assert client.post("/login", data={"username": "sup-down",
                                       "password": "pw-123456"}).status_code == 302
    page = client.get("/console/queues")
    assert page.status_code == 200
    assert "The job queue is unreachable" in page.get_data(as_text=True)
    home = client.get("/")  # the jobs tile fails alone; the rest of the console is there
    assert home.status_code == 200
    text = home.get_data(as_text=True)
    assert "This tile could not be read just now" in text and 'id="tile-orders"' in text
    retry = client.post("/console/queues/default/failed/retry")
    assert retry.status_code == 503


def test_the_tile_counts_what_the_queue_page_counts(app, run_worker, sqlite_url, tmp_path):
    """The jobs tile reads fewer registries than the queue page; what it shows agrees."""
    empty_failed("default")
    failing = queue("default").enqueue("os.rmdir", str(tmp_path / "never"))
    run_worker(sqlite_url, "default")
    assert status(failing) == JobStatus.FAILED
    waiting = queue("default").enqueue("os.getcwd")
    try:
        rows, workers = jobqueues.tile_stats()
        tile = {row["key"]: (row["queued"], row["started"], row["failed"]) for row in rows}
        page = {row["key"]: (row["queued"], row["started"], row["failed"])
                for row in jobqueues.queue_stats()}
        assert tile == page and tile["default"][0] >= 1 and tile["default"][2] >= 1
        assert workers == len(jobqueues.workers())
    finally:
        waiting.delete()
