"""Counting offline: count scans through POST /api/v1/scans apply once, a replay is a
duplicate, a pick made while the counter was offline is no variance (the book is
taken at the device's time), and a count someone else finished is a conflict kept
for the supervisor. On SQLite and PostgreSQL."""
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from outbound_support import barcode_of, level
from webapp.accounts.models import User
from webapp.accounts.services import record_sign_in, register_device
from webapp.catalog.models import Location, StockLevel
from webapp.catalog.stock import move_stock
from webapp.counts import services as counts
from webapp.counts.models import CountTask
from webapp.extensions import db


@pytest.fixture
def handheld(warehouse):
    """A device registered for picking, the demo picker and receiver signed in on it."""
    device, token = register_device("HH-CNT", roles=["picker", "receiver"])
    for username in ("picker", "receiver"):
        record_sign_in(device.id, db.session.scalar(
            select(User.id).where(User.username == username)))
    db.session.commit()
    return warehouse.test_client(), {"Authorization": f"Bearer {token}"}


class Device:
    """Makes scans as the outbox does: uuid, increasing seq, device time."""

    def __init__(self, user_id):
        self.user_id, self.seq = user_id, 0

    def scan(self, code, task_id, quantity=1, step=None, at=None):
        """One count scan JSON."""
        self.seq += 1
        when = at or datetime.now(timezone.utc)
        return {"id": str(uuid.uuid4()), "seq": self.seq, "user_id": self.user_id,
                "device_time": when.isoformat(), "action": "count", "code": code,
                "quantity": quantity, "subject_id": task_id,
                **({"payload": {"step": step}} if step else {})}


def send(handheld, scans):
    """POST a batch; return the statuses."""
    client, headers = handheld
    response = client.post("/api/v1/scans", json={"scans": scans}, headers=headers)
    assert response.status_code == 200, response.data
    db.session.expire_all()
    return [(r["status"], r["reason"]) for r in response.get_json()["results"]]


def stocked_bin():
    """(location, {product_id: units}) of a storage bin holding 4 or more of something."""
    bin_ = db.session.scalar(select(Location).join(StockLevel).where(
        Location.type == "storage", StockLevel.quantity >= 4).order_by(Location.id))
    held = dict(db.session.execute(select(StockLevel.product_id, StockLevel.quantity).where(
        StockLevel.location_id == bin_.id, StockLevel.quantity > 0)).all())
    return bin_, held


def test_an_offline_count_applies_once_and_a_pick_meanwhile_is_no_variance(
        handheld, user_id):
    bin_, held = stocked_bin()
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    device = Device(user_id("receiver"))
    counted_at = datetime.now(timezone.utc)
    batch = [device.scan(bin_.code, task.id, at=counted_at)]
    batch += [device.scan(barcode_of(pid), task.id, units, at=counted_at)
              for pid, units in held.items()]
    batch.append(device.scan(bin_.code, task.id, step="finish", at=counted_at))
    # Back online later: a picker took 2 units since the count.
    picked = next(iter(held))
    packing = db.session.scalar(select(Location.id).where(Location.type == "packing"))
    move_stock(picked, 2, reason="pick", from_location_id=bin_.id, to_location_id=packing)
    db.session.commit()
    assert [s for s, _ in send(handheld, batch)] == ["applied"] * len(batch)
    assert [s for s, _ in send(handheld, batch)] == ["duplicate"] * len(batch)
    task = db.session.get(CountTask, task.id)
    assert task.status == "closed"
    assert all(line.variance == 0 for line in task.lines)
    assert {line.product_id: line.counted_qty for line in task.lines} == held
    assert level(picked, bin_.id)[0] == held[picked] - 2


def test_a_count_finished_by_someone_else_is_a_conflict_and_bad_steps_are_refused(
        handheld, user_id):
    bin_, held = stocked_bin()
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    counts.scan(task.id, user_id("picker"), bin_.code)
    counts.confirm_empty(task.id, user_id("picker"))
    db.session.commit()
    device = Device(user_id("receiver"))
    (taken,) = send(handheld, [device.scan(bin_.code, task.id)])
    assert taken[0] == "conflict"
    (bad,) = send(handheld, [device.scan(bin_.code, task.id, step="guess")])
    assert bad[0] == "rejected" and "payload.step" in bad[1]
