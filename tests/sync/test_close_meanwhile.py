"""The job closes the lists a backlog finishes set-based, from rows it read without a
lock: a list released by the supervisor after that read must stay released, not be
written done over the release with its orders moved to picked. (PostgreSQL: on SQLite
the job holds the write lock from before its read, so a release waits for it.)"""
import pytest
from sqlalchemy import create_engine, insert, select, update

from webapp.catalog.models import StockMovement
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.picking import scan_rows
from webapp.picking.models import PickList, PickTask
from webapp.sync.models import ScanRecord
from webapp.sync.applying import apply_stored
from webapp.sync.services import INLINE_LIMIT

from test_scan_sync import count, post


def _walked_offline(walk, device, scans):
    """The whole demo list walked offline and sent as a stored backlog (PostgreSQL only):
    (database url, the list, its tasks, the scans)."""
    url = walk["app"].config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        pytest.skip("SQLite: the job holds the write lock before it reads")
    pick_list = walk["list"]
    tasks = db.session.scalars(select(PickTask).where(PickTask.pick_list_id == pick_list.id)
                               .order_by(PickTask.sequence)).all()
    first = tasks[0]
    batch = [scans.make(first, first.location.code) for _ in range(INLINE_LIMIT)]
    for task in tasks:  # the backlog finishes the list
        batch += scans.complete(task)
    status, results = post(walk["app"].test_client(), device, batch)
    assert status == 200 and {r["status"] for r in results} == {"stored"}
    return url, pick_list, tasks, batch


def _apply_with_a_write_after_the_read(monkeypatch, url, statement):
    """apply_stored, with `statement` committed from another connection right after the
    job's read (the job's own transaction still open)."""
    read, other = scan_rows.ScanRows._read, create_engine(url)

    def read_then_written(world, records):
        read(world, records)
        with other.begin() as connection:
            connection.execute(statement)
    monkeypatch.setattr(scan_rows.ScanRows, "_read", read_then_written)
    db.session.commit()
    try:
        apply_stored()
    finally:
        other.dispose()
    db.session.commit()
    db.session.expire_all()


def test_a_list_released_after_the_job_read_it_stays_released(walk, device, scans,
                                                               monkeypatch):
    url, pick_list, tasks, batch = _walked_offline(walk, device, scans)
    order_ids = {task.order_id for task in tasks}
    # The supervisor's release, committed right after the job's read.
    _apply_with_a_write_after_the_read(monkeypatch, url, update(PickList.__table__).where(
        PickList.__table__.c.id == pick_list.id).values(status="open", picker_id=None))
    assert db.session.get(PickList, pick_list.id).status == "open"  # before: done
    assert set(db.session.scalars(select(Order.status).where(Order.id.in_(order_ids)))) \
        == {"picking"}
    # One by one, every scan meets the released list: kept as a conflict, none applied.
    assert count(ScanRecord, ScanRecord.status == "applied") == 0
    assert count(ScanRecord, ScanRecord.status == "conflict") == len(batch)
    assert count(StockMovement, StockMovement.reason == "pick") == 0
    assert ledger_mismatches() == []


def test_a_list_given_a_task_after_the_job_read_it_stays_open(walk, device, scans,
                                                              monkeypatch):
    """A cancel of one of the list's orders adds its put-backs to the list after the job
    read it (committed from another connection): the job's close must see them, not
    close the list 'done' with put-backs nobody will walk."""
    url, pick_list, tasks, batch = _walked_offline(walk, device, scans)
    first = tasks[0]
    putback = {"pick_list_id": pick_list.id, "sequence": tasks[-1].sequence + 1,
               "kind": "putback", "order_id": first.order_id,
               "order_line_id": first.order_line_id, "location_id": first.location_id,
               "product_id": first.product_id, "quantity": 1, "cart_slot": first.cart_slot,
               "picked_qty": 0, "location_confirmed": False, "status": "pending"}
    _apply_with_a_write_after_the_read(monkeypatch, url,
                                       insert(PickTask.__table__).values(putback))
    assert db.session.get(PickList, pick_list.id).status == "in_progress"  # before: done
    assert count(ScanRecord, ScanRecord.status == "applied") == len(batch)
    left = db.session.scalars(select(PickTask).where(PickTask.pick_list_id == pick_list.id,
                                                     PickTask.status == "pending")).all()
    assert [task.kind for task in left] == ["putback"]
    assert ledger_mismatches() == []
