"""A transaction PostgreSQL undid to break a deadlock: done again, or told so; never 500.

test_close_cancel_race.py sets up a real deadlock; here the undoing is injected at the
points that must handle it, on both databases: the sync API does a batch again (the
device should not wait for its next sync), the job does a chunk again, and what is
still undone after the tries is a 409 with a message, not a 500.
"""
from dataclasses import replace

from psycopg import errors as pg_errors
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from webapp.catalog.models import StockMovement
from webapp.extensions import db
from webapp.picking import services as picking
from webapp.sync import actions, applying, services as sync
from webapp.sync.models import ScanRecord


def _deadlock():
    return OperationalError("UPDATE pick_task ...", {}, pg_errors.DeadlockDetected(
        "deadlock detected"))


def _finishing_scans(walk, scans):
    """The scans that finish the list's current task, and that task."""
    task = picking.current_task(walk["list"])
    return scans.complete(task), task


def _moves_of(task):
    return db.session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.source == f"pick-task:{task.id}"))


def test_a_batch_undone_by_a_deadlock_is_received_again(walk, device, scans, monkeypatch):
    batch, task = _finishing_scans(walk, scans)
    receive, calls = sync.receive, []

    def undone_once(*args, **kwargs):
        answer = receive(*args, **kwargs)  # its writes made, then undone as a whole
        calls.append(1)
        if len(calls) == 1:
            raise _deadlock()
        return answer

    monkeypatch.setattr(sync, "receive", undone_once)
    response = walk["app"].test_client().post("/api/v1/scans", headers=device["headers"],
                                              json={"scans": batch})
    assert response.status_code == 200, response.json
    assert [r["status"] for r in response.json["results"]] == ["applied"] * len(batch)
    assert len(calls) == 2
    db.session.expire_all()
    stored = db.session.scalar(select(func.count()).select_from(ScanRecord).where(
        ScanRecord.scan_uuid.in_([s["id"] for s in batch])))
    assert stored == len(batch)  # once each: the first try's rows were undone
    assert _moves_of(task) == 1


def test_still_undone_after_the_tries_is_a_409(walk, device, scans, monkeypatch):
    batch, _task = _finishing_scans(walk, scans)

    def always_undone(*_args, **_kwargs):
        raise _deadlock()

    monkeypatch.setattr(sync, "receive", always_undone)
    response = walk["app"].test_client().post("/api/v1/scans", headers=device["headers"],
                                              json={"scans": batch})
    assert response.status_code == 409  # before: 500; the outbox keeps the scans
    assert response.json["error"] == "This conflicts with a change made meanwhile."
    assert db.session.scalar(select(func.count()).select_from(ScanRecord)) == 0


def _undone_once(monkeypatch):
    """The first scan's effect written, then undone by a deadlock, and undone again on
    every try within that transaction, as a real deadlock's victim is while its earlier
    locks are held; the one-by-one path (no judging before the scan is stored).
    Returns the scan ids applied, in order."""
    effect, calls, lost_in = applying._effect, [], []

    def undone_once(record):
        calls.append(record.scan_uuid)
        transaction = db.session().get_transaction()
        if not lost_in or lost_in[0] is transaction:
            lost_in[:] = [transaction]
            effect(record)
            raise _deadlock()
        return effect(record)

    monkeypatch.setattr(applying, "_effect", undone_once)
    get = actions.get
    monkeypatch.setattr(actions, "get", lambda name: replace(get(name), apply_now=None))
    return calls


def test_a_scan_undone_by_a_deadlock_is_not_retried_in_its_savepoint(walk, device, scans,
                                                                      monkeypatch):
    """Its savepoint would keep the earlier scans' locks, which the other transaction
    may be waiting on: it would lose every try and a valid scan end as a conflict (a
    reviewer reproduced it). The request is done again whole instead."""
    batch, task = _finishing_scans(walk, scans)
    calls = _undone_once(monkeypatch)
    response = walk["app"].test_client().post("/api/v1/scans", headers=device["headers"],
                                              json={"scans": batch})
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]] == ["applied"] * len(batch)
    assert calls[0] == calls[1] == batch[0]["id"]  # the request again, from its start
    assert _moves_of(task) == 1


def test_the_jobs_chunk_undone_by_a_deadlock_is_done_again(walk, device, scans,
                                                           monkeypatch):
    batch, task = _finishing_scans(walk, scans)
    monkeypatch.setattr(sync, "INLINE_LIMIT", 0)  # stored, for the job
    results, _batch_id = sync.receive({"scans": batch}, device["device"])
    db.session.commit()
    assert {r["status"] for r in results} == {"stored"}
    calls = _undone_once(monkeypatch)
    counts = applying.apply_stored(bulk=False)
    assert counts == {"applied": len(batch)}
    assert calls[0] == calls[1] == batch[0]["id"]  # the chunk again, from its start
    stored = db.session.scalars(select(ScanRecord.status).where(
        ScanRecord.scan_uuid.in_([s["id"] for s in batch]))).all()
    assert stored == ["applied"] * len(batch)
    assert _moves_of(task) == 1


def test_other_database_errors_are_still_500s(walk, device, scans, monkeypatch):
    batch, _task = _finishing_scans(walk, scans)

    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, pg_errors.AdminShutdown("terminating"))

    monkeypatch.setattr(sync, "receive", broken)
    response = walk["app"].test_client().post("/api/v1/scans", headers=device["headers"],
                                              json={"scans": batch})
    assert response.status_code == 500
    assert "Nothing was saved" in response.json["error"]
