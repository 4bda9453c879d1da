"""A short pick after the task's units came in through the sync API (applied inline, or
stored and applied set-based by the job) and a write-off then took them off the books:
the units counted stay picked, the rest is short, the bin is blocked and counted."""
import pytest
from sqlalchemy import func, select

from stock_support import write_off
from webapp.catalog.blocks import active_block
from webapp.catalog.models import Barcode, StockLevel, StockMovement
from webapp.catalog.stock import ledger_mismatches
from webapp.counts.models import CountTask
from webapp.extensions import db
from webapp.orders.models import OrderLine
from webapp.picking.models import PickTask
from webapp.picking.services import staging_location_id
from webapp.picking.shortage import short_pick
from webapp.sync import jobs, services
from webapp.sync.models import ScanRecord


def send(client, device, batch, stored, monkeypatch):
    """Post a batch; when `stored`, as a backlog the job applies in bulk. Returns
    {scan id: (status, reason)} as finally recorded."""
    if stored:
        monkeypatch.setattr(services, "INLINE_LIMIT", 0)
    response = client.post("/api/v1/scans", headers=device["headers"],
                           json={"device_id": device["id"], "scans": batch})
    monkeypatch.undo()
    assert response.status_code == 200, response.get_data(as_text=True)
    assert bool(response.json["batch_id"]) == stored
    if stored:
        jobs.apply_scan_batch(response.json["batch_id"])
        db.session.commit()
    rows = db.session.execute(select(ScanRecord.scan_uuid, ScanRecord.status, ScanRecord.reason)
                              .where(ScanRecord.scan_uuid.in_([s["id"] for s in batch])))
    return {row.scan_uuid: (row.status, row.reason) for row in rows}


def level_of(product_id, location_id):
    """(quantity, reserved) at a location, read afresh."""
    row = db.session.execute(select(StockLevel.quantity, StockLevel.reserved).where(
        StockLevel.product_id == product_id, StockLevel.location_id == location_id)).first()
    return tuple(row) if row else (0, 0)


@pytest.mark.parametrize("stored", [False, True], ids=["inline", "bulk"])
def test_a_short_after_synced_units_keeps_them_picked(walk, device, scans, monkeypatch, stored):
    picker, client = walk["picker"].id, walk["app"].test_client()
    tasks = db.session.scalars(select(PickTask).where(PickTask.pick_list_id == walk["list"].id)
                               .order_by(PickTask.sequence, PickTask.id)).all()
    target = next(t for t in tasks if t.quantity >= 2)
    barcode = db.session.scalar(select(Barcode.code).where(
        Barcode.product_id == target.product_id).order_by(Barcode.id))
    # Offline: the tasks before it walked, then its location and one unit.
    batch = [scan for task in tasks[:tasks.index(target)] for scan in scans.complete(task)]
    batch += [scans.make(target, target.location.code), scans.make(target, barcode)]
    answers = send(client, device, batch, stored, monkeypatch)
    assert {status for status, _reason in answers.values()} == {"applied"}, answers
    write_off(target)
    db.session.commit()
    staging = staging_location_id()
    in_cart_before = level_of(target.product_id, staging)[0]
    line_before = db.session.get(OrderLine, target.order_line_id).picked_qty

    outcome = short_pick(walk["list"].id, target.id, picker, "empty")
    db.session.commit()
    assert outcome.ok, outcome.message
    db.session.expire_all()
    short = db.session.get(PickTask, target.id)
    assert (short.status, short.picked_qty) == ("short", 1)
    assert db.session.get(OrderLine, target.order_line_id).picked_qty == line_before + 1
    assert level_of(target.product_id, staging)[0] == in_cart_before + 1
    assert db.session.execute(select(StockMovement.reason, StockMovement.quantity).where(
        StockMovement.source == f"pick-task:{target.id}").order_by(StockMovement.id)).all() \
        == [("adjustment", 1), ("pick", 1)]
    assert active_block(target.location_id, target.product_id) is not None
    assert db.session.scalar(select(CountTask.id).where(
        CountTask.location_id == target.location_id, CountTask.status == "open")) is not None
    assert ledger_mismatches() == []

    # The device sends the batch again (its answer was lost) and one more unit it took
    # before it heard of the short: the batch changes nothing, the unit is a conflict.
    moves = db.session.scalar(select(func.count()).select_from(StockMovement))
    extra = scans.make(target, barcode)
    again = send(client, device, batch + [extra], stored, monkeypatch)
    assert again[extra["id"]][0] == "conflict" and "already short" in again[extra["id"]][1]
    assert {uuid: again[uuid] for uuid in answers} == answers
    assert db.session.scalar(select(func.count()).select_from(ScanRecord).where(
        ScanRecord.device_id == device["id"])) == len(batch) + 1
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == moves
    db.session.expire_all()
    assert db.session.get(PickTask, target.id).picked_qty == 1
    assert ledger_mismatches() == []
