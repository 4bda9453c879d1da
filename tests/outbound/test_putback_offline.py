"""The put-back of a packed order cancelled before handoff, walked on a handheld with no
network: the run's offline copy (GET /api/v1/putaway/<id>/offline) names the order and
holds what the device judges with, and the scans it kept land through the sync API
exactly once, inline or stored and applied by the job. Both databases."""
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from outbound_support import barcode_of, free_in_storage, level, packed_order_of_all
from webapp.accounts.services import record_sign_in, register_device
from webapp.catalog.models import Location, StockMovement
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.orders.models import Order, OrderException
from webapp.orders.services import cancel_order
from webapp.receiving import putaway
from webapp.receiving.jobs import plan_putaway
from webapp.receiving.models import PutawayTask
from webapp.sync import jobs, services
from webapp.sync.models import ScanRecord


@pytest.fixture
def put_back(warehouse, make_planned, user_id):
    """A packed order cancelled, its put-back run planned: (order id, product id, units,
    run id)."""
    order_id, product_id, units = packed_order_of_all(make_planned, user_id)
    cancel_order(order_id, user_id("supervisor"), "customer changed their mind")
    db.session.commit()
    run = putaway.run_for("order", order_id)
    plan_putaway(run.id)
    return order_id, product_id, units, run.id


@pytest.fixture
def handheld(warehouse, user_id):
    """A receiving handheld the demo receiver signed in on: (client, token headers)."""
    device, token = register_device("HH-PUTBACK", roles=["receiver"])
    record_sign_in(device.id, user_id("receiver"))
    db.session.commit()
    return warehouse.test_client(), {"Authorization": f"Bearer {token}"}, device.id


def walked_offline(copy, receiver):
    """The scans the device keeps walking the copy: each task's bin, then its item."""
    scans, seq = [], 0
    for task in copy["tasks"]:
        for code in (task["suggested"]["code"], task["product"]["barcodes"][0]):
            seq += 1
            scans.append({"id": str(uuid.uuid4()), "seq": seq, "user_id": receiver,
                          "device_time": datetime.now(timezone.utc).isoformat(),
                          "action": "putaway", "code": code, "quantity": 1,
                          "subject_id": copy["subject_id"], "line_id": task["task_id"]})
    return scans


def send(handheld, scans, stored, monkeypatch):
    """POST the scans as the outbox does; return each scan's final (status, reason)."""
    client, headers, device_id = handheld
    if stored:  # a backlog: stored, then applied by the job
        monkeypatch.setattr(services, "INLINE_LIMIT", 0)
    response = client.post("/api/v1/scans", headers=headers,
                           json={"device_id": device_id, "scans": scans})
    monkeypatch.undo()
    assert response.status_code == 200, response.get_data(as_text=True)
    if response.json["batch_id"]:
        jobs.apply_scan_batch(response.json["batch_id"])
        db.session.commit()
    db.session.expire_all()
    final = dict(db.session.execute(select(ScanRecord.scan_uuid, ScanRecord.status).where(
        ScanRecord.scan_uuid.in_([s["id"] for s in scans]))).all())
    return [r["status"] if r["status"] != "stored" else final[r["id"]]
            for r in response.json["results"]]


@pytest.mark.parametrize("stored", [False, True], ids=["inline", "stored"])
def test_an_order_put_back_taken_offline_lands_once(put_back, handheld, user_id, monkeypatch,
                                                    stored):
    order_id, product_id, units, run_id = put_back
    client, headers, _device_id = handheld
    order = db.session.get(Order, order_id)
    dock = db.session.scalar(select(Location).where(Location.type == "shipping")
                             .order_by(Location.id))

    copy = client.get(f"/api/v1/putaway/{run_id}/offline", headers=headers).get_json()
    assert copy["subject_id"] == run_id and copy["status"] == "finished"
    assert copy["number"] == order.number  # as the screen names it online
    assert sum(t["quantity"] for t in copy["tasks"]) == units
    assert {t["from_code"] for t in copy["tasks"]} == {dock.code}
    assert all(barcode_of(product_id) in t["product"]["barcodes"] for t in copy["tasks"])
    assert {t["suggested"]["code"] for t in copy["tasks"]} <= set(copy["bins"])

    batch = walked_offline(copy, user_id("receiver"))
    assert send(handheld, batch, stored, monkeypatch) == ["applied"] * len(batch)
    # The answer was lost: the outbox sends it all again, and again from a second tab.
    assert send(handheld, batch, stored, monkeypatch) == ["duplicate"] * len(batch)
    assert send(handheld, batch[::-1], False, monkeypatch) == ["duplicate"] * len(batch)

    assert db.session.scalar(select(func.count()).select_from(ScanRecord).where(
        ScanRecord.action == "putaway")) == len(batch)
    moves = db.session.execute(select(StockMovement.quantity, StockMovement.from_location_id)
                               .where(StockMovement.reason == "putaway")).all()
    assert len(moves) == len(copy["tasks"]) and sum(q for q, _f in moves) == units
    assert {f for _q, f in moves} == {dock.id}
    assert level(product_id, dock.id)[0] == 0 and free_in_storage(product_id) == units
    assert db.session.scalar(select(func.count()).select_from(PutawayTask).where(
        PutawayTask.run_id == run_id, PutawayTask.status != "done")) == 0
    # The supervisor's to-do (take the parcels off the dock) is done, by the receiver.
    told = db.session.scalar(select(OrderException).where(
        OrderException.order_id == order_id, OrderException.kind == "cancelled_packed"))
    assert told.resolved_by_id == user_id("receiver")
    assert ledger_mismatches() == []
