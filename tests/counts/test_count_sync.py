"""Counting offline: count scans through POST /api/v1/scans apply once, a replay is a
duplicate, a pick made while the counter was offline is no variance (the book is
taken at the device's time), and a count someone else finished is a conflict kept
for the supervisor; so are the late scans of a count a supervisor released. On SQLite
and PostgreSQL."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from outbound_support import barcode_of, level
from webapp.accounts.models import User
from webapp.accounts.services import record_sign_in, register_device
from webapp.catalog.models import Location, StockLevel
from webapp.catalog.stock import move_stock
from webapp.counts import claims, services as counts
from webapp.counts.models import CountLine, CountTask
from webapp.extensions import db
from webapp.sync.models import ScanRecord


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


def test_a_released_count_sends_the_late_offline_scans_back_as_conflicts(handheld, user_id):
    """The receiver claims a bin online, counts on offline and is released meanwhile:
    every late scan (made before or after the release by the device's clock) comes
    back a conflict saying so, is kept, and adds nothing to the bin's new count,
    which the picker then counts from nothing."""
    bin_, held = stocked_bin()
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    receiver, picker = user_id("receiver"), user_id("picker")
    first = next(iter(held))
    assert counts.scan(task.id, receiver, bin_.code).ok
    assert counts.scan(task.id, receiver, barcode_of(first), quantity=1).ok
    task.last_scan_at = datetime.now(timezone.utc) - timedelta(hours=2)
    db.session.commit()
    (claim,) = [c for c in claims.claims() if c.task.id == task.id]
    assert claim.idle and claim.task.counter_id == receiver and claim.units == 1
    assert claims.idle_count() >= 1

    fresh = claims.release(task.id)
    db.session.commit()
    assert (task.status, fresh.status, fresh.location_id) == ("released", "open", bin_.id)
    assert fresh.counter_id is None and claims.successor(task).id == fresh.id
    assert fresh.id in {t.id for t in counts.tasks_for(picker)}
    assert task.id not in {c.task.id for c in claims.claims()}
    for gone in (task.id, fresh.id):  # released already; open (nobody holds it)
        try:
            claims.release(gone)
        except claims.ReleaseError as error:
            assert str(error)
        else:
            raise AssertionError(f"count {gone} was released")

    device = Device(receiver)
    before, after = (datetime.now(timezone.utc) + timedelta(minutes=m) for m in (-30, 5))
    late = [device.scan(barcode_of(pid), task.id, units, at=before)
            for pid, units in held.items()]
    late += [device.scan(bin_.code, task.id, at=after),  # a location scan never re-claims
             device.scan(barcode_of(first), task.id, 2, at=after),
             device.scan(bin_.code, task.id, step="finish", at=after)]
    results = send(handheld, late)
    assert [s for s, _ in results] == ["conflict"] * len(late)
    assert all("released" in reason and f"count {fresh.id}" in reason for _, reason in results)
    kept = db.session.scalars(select(ScanRecord).where(
        ScanRecord.subject_id == task.id, ScanRecord.action == "count")).all()
    assert len(kept) == len(late) and {r.status for r in kept} == {"conflict"}
    task, fresh = db.session.get(CountTask, task.id), db.session.get(CountTask, fresh.id)
    assert task.status == "released" and fresh.status == "open"
    assert {(l.product_id, l.counted_qty) for l in task.lines} == {(first, 1)}
    assert db.session.scalar(select(CountLine).where(CountLine.task_id == fresh.id)) is None

    # The picker counts the bin afresh: judged on their count alone, no variance.
    assert counts.scan(fresh.id, picker, bin_.code).ok
    for pid, units in held.items():
        assert counts.scan(fresh.id, picker, barcode_of(pid), quantity=units).ok
    assert counts.finish(fresh.id, picker).finished
    db.session.commit()
    assert fresh.status == "closed"
    assert {l.product_id: l.counted_qty for l in fresh.lines} == held
