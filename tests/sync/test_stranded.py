"""Nothing stored is left behind: a worker killed mid-job, Redis down at enqueue, a
process dying between commit and enqueue; the sweep, the backlog and the schedule."""
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psutil
from redis import Redis
from rq import Queue
from sqlalchemy import create_engine, func, select, update

from webapp import periodic
from webapp.accounts.models import User
from webapp.accounts.services import create_user
from webapp.catalog.models import StockMovement
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.picking.models import PickTask
from webapp.sync import applying, jobs, services
from webapp.sync.models import ScanRecord
from webapp.timeutil import utcnow

from test_scan_sync import count, first_task, post

ROOT = Path(__file__).resolve().parents[2]


def stored():
    """Scans still waiting to be applied."""
    db.session.expire_all()
    return count(ScanRecord, ScanRecord.status == "stored")


def long_offline_spell(walk, scans, size=1000):
    """A backlog as a device brings it back: the location again and again, then the items."""
    task = first_task(walk)
    return task, [scans.make(task, task.location.code) for _ in range(size)] + \
        scans.complete(task)


def start_worker(env):
    """A real RQ worker process."""
    return subprocess.Popen([sys.executable, "-m", "worker", "reconciliation"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_tree(process):
    """SIGKILL a worker with its work horse and scheduler, as a crash or the OOM killer
    would (rq puts the horse in a process group of its own: killpg would miss it)."""
    family = psutil.Process(process.pid).children(recursive=True)
    process.kill()
    for child in family:
        child.kill()
    process.wait()
    psutil.wait_procs(family, timeout=10)


def wait_until(check, seconds=120):
    """Poll check() until true; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.005)
    raise AssertionError(f"{check.__doc__ or check} did not happen within {seconds} s")


def closed_port():
    """A TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def backdate(seconds):
    """Make every stored scan look stored `seconds` ago."""
    db.session.execute(update(ScanRecord).where(ScanRecord.status == "stored").values(
        server_time=utcnow() - timedelta(seconds=seconds)))
    db.session.commit()


def test_a_worker_killed_mid_job_loses_nothing(walk, device, scans, factory, run_worker):
    app = walk["app"]
    db_url = app.config["SQLALCHEMY_DATABASE_URI"]
    # Several of the job's transactions (applying.BULK_CHUNK scans each): with one
    # chunk and a few scans after it, the job could end before the kill landed.
    task, batch = long_offline_spell(walk, scans, size=4 * applying.BULK_CHUNK)
    task_id = task.id
    status, results = post(app.test_client(), device, batch)
    assert status == 200 and {r["status"] for r in results} == {"stored"}
    db.session.close()

    worker = start_worker({**os.environ, **factory.settings(db_url)})

    # A plain reading connection: the app's SQLite transactions take the writer lock,
    # and the job would finish while this one waited for it.
    watcher = create_engine(db_url)

    def partly_applied():
        """the job applied some of the batch"""
        with watcher.connect() as connection:
            return connection.scalar(select(func.count()).select_from(ScanRecord).where(
                ScanRecord.status == "applied")) >= 50
    try:
        wait_until(partly_applied)
    finally:
        kill_tree(worker)  # mid-job
        watcher.dispose()
    left = stored()
    assert 0 < left < len(batch), "the kill must land mid-job"

    # The device did not hear back (or resends anyway): every scan is answered duplicate,
    # so its outbox drops them; the server must now apply them by itself.
    status, replay = post(app.test_client(), device, batch)
    assert status == 200 and {r["status"] for r in replay} == {"duplicate"}
    db.session.close()

    run_worker(db_url, "reconciliation")  # a restart: the sweep at start applies the rest
    assert stored() == 0
    assert count(ScanRecord, ScanRecord.status == "applied") == len(batch)
    assert count(ScanRecord) == len(batch)
    assert db.session.get(PickTask, task_id).status == "done"
    assert count(StockMovement, StockMovement.reason == "pick") == 1
    assert ledger_mismatches() == []


def test_redis_down_at_enqueue_keeps_the_batch_for_the_sweep(walk, device, scans, factory,
                                                            run_worker):
    db_url = walk["app"].config["SQLALCHEMY_DATABASE_URI"]
    down = factory.get(db_url, REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    _task, batch = long_offline_spell(walk, scans, size=services.INLINE_LIMIT)
    db.session.close()  # the other app has its own session: let it have the writer lock
    status, results = post(down.test_client(), device, batch)
    assert status == 200 and {r["status"] for r in results} == {"stored"}
    db.session.close()
    run_worker(db_url, "reconciliation")
    assert stored() == 0
    assert ledger_mismatches() == []


def test_a_batch_job_applies_the_devices_earlier_stranded_batches_first(walk, device, scans):
    client = walk["app"].test_client()
    task, batch = long_offline_spell(walk, scans, size=services.INLINE_LIMIT)
    first, second = batch[:-2], batch[-2:]  # the location scans, then the items
    # The first batch's job was lost (its process died after the commit): nothing queued.
    first_id = services.receive({"scans": first}, device["device"])[1]
    db.session.commit()
    status, results = post(client, device, second)  # stored behind the backlog, in order
    assert {r["status"] for r in results} == {"stored"}
    second_id = db.session.scalar(select(ScanRecord.batch_id).where(
        ScanRecord.scan_uuid == second[0]["id"]))
    assert second_id != first_id
    assert jobs.apply_scan_batch(second_id) == {"applied": len(batch)}
    assert stored() == 0 and db.session.get(PickTask, task.id).status == "done"


def supervisor_page(app, path):
    """The page as a signed-in supervisor sees it (on this test's database)."""
    if not db.session.scalar(select(User.id).where(User.username == "sup-nl")):
        create_user("sup-nl", "pw-123456", ["supervisor"])
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "sup-nl", "password": "pw-123456"})
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_sweep_applies_stuck_scans_and_the_supervisor_sees_them(walk, device, scans):
    _task, batch = long_offline_spell(walk, scans, size=services.INLINE_LIMIT)
    services.receive({"scans": batch}, device["device"])  # no job queued: a lost one
    db.session.commit()
    assert applying.stuck_scans() == 0  # just stored: its job may be on its way
    assert jobs.sweep_stored(older_than_seconds=30) == {}  # the schedule leaves fresh ones
    backdate(90)
    assert applying.stuck_scans() == len(batch)
    page = supervisor_page(walk["app"], "/sync/conflicts")
    assert f"{len(batch)} synced scans have waited more than a minute" in page

    assert jobs.sweep_stored(older_than_seconds=30) == {"applied": len(batch)}
    assert applying.stuck_scans() == 0
    page = supervisor_page(walk["app"], "/sync/conflicts")
    assert "waited more than a minute" not in page


def test_the_batch_job_carries_rqs_retry(walk, device, scans):
    _task, batch = long_offline_spell(walk, scans, size=services.INLINE_LIMIT)
    _results, batch_id = services.receive({"scans": batch}, device["device"])
    db.session.commit()
    job = jobs.queue_batch(batch_id)
    try:
        assert job.retries_left == 3 and job.retry_intervals == [10, 60, 300]
        assert job.func is jobs.apply_scan_batch and job.args == (batch_id,)
    finally:
        job.delete()


def test_rqs_cron_scheduler_queues_the_sweep_that_a_worker_runs(walk, device, scans,
                                                                factory, run_worker):
    app = walk["app"]
    db_url = app.config["SQLALCHEMY_DATABASE_URI"]
    _task, batch = long_offline_spell(walk, scans, size=services.INLINE_LIMIT)
    services.receive({"scans": batch}, device["device"])  # stranded: no job queued
    db.session.commit()
    backdate(90)
    db.session.close()
    connection = Redis.from_url(app.config["REDIS_URL"])
    queue = Queue(app.config["QUEUES"]["reconciliation"], connection=connection)
    queue.empty()
    # `python -m worker.cron`, as `make run` starts it: rq's CronScheduler with PERIODIC.
    cron = subprocess.Popen([sys.executable, "-m", "worker.cron"], cwd=ROOT,
                            env={**os.environ, **factory.settings(db_url)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def sweep_queued():
        """the cron scheduler queued the sweep"""
        return any(job.func_name == "webapp.sync.jobs.sweep_stored" for job in queue.get_jobs())
    try:
        wait_until(sweep_queued, seconds=60)
    finally:
        cron.terminate()
        cron.wait(timeout=30)
    assert [p.func for p in periodic.PERIODIC].count(jobs.sweep_stored) == 1
    run_worker(db_url, "reconciliation")
    assert stored() == 0
