"""The job closes the lists a backlog finishes set-based, from rows it read without a
lock: a list released by the supervisor after that read must stay released, not be
written done over the release with its orders moved to picked. (PostgreSQL: on SQLite
the job holds the write lock from before its read, so a release waits for it.)"""
import pytest
from sqlalchemy import create_engine, select, update

from webapp.catalog.models import StockMovement
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.picking import scan_rows
from webapp.picking.models import PickList, PickTask
from webapp.sync.models import ScanRecord
from webapp.sync.services import INLINE_LIMIT, apply_stored

from test_scan_sync import count, post


def test_a_list_released_after_the_job_read_it_stays_released(walk, device, scans,
                                                               monkeypatch):
    url = walk["app"].config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        pytest.skip("SQLite: the job holds the write lock before it reads")
    pick_list = walk["list"]
    tasks = db.session.scalars(select(PickTask).where(PickTask.pick_list_id == pick_list.id)
                               .order_by(PickTask.sequence)).all()
    first = tasks[0]
    batch = [scans.make(first, first.location.code) for _ in range(INLINE_LIMIT)]
    for task in tasks:  # the whole list walked offline: the backlog finishes it
        batch += scans.complete(task)
    status, results = post(walk["app"].test_client(), device, batch)
    assert status == 200 and {r["status"] for r in results} == {"stored"}
    order_ids = {task.order_id for task in tasks}
    read, supervisor = scan_rows.ScanRows._read, create_engine(url)

    def read_then_released(world, records):
        """The job's read, then the supervisor's release committing right after it
        (another connection: the job's own transaction is still open)."""
        read(world, records)
        with supervisor.begin() as connection:
            connection.execute(update(PickList.__table__)
                               .where(PickList.__table__.c.id == pick_list.id)
                               .values(status="open", picker_id=None))
    monkeypatch.setattr(scan_rows.ScanRows, "_read", read_then_released)
    db.session.commit()
    try:
        apply_stored()
    finally:
        supervisor.dispose()
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(PickList, pick_list.id).status == "open"  # before: done
    assert set(db.session.scalars(select(Order.status).where(Order.id.in_(order_ids)))) \
        == {"picking"}
    # One by one, every scan meets the released list: kept as a conflict, none applied.
    assert count(ScanRecord, ScanRecord.status == "applied") == 0
    assert count(ScanRecord, ScanRecord.status == "conflict") == len(batch)
    assert count(StockMovement, StockMovement.reason == "pick") == 0
    assert ledger_mismatches() == []
