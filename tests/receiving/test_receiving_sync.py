"""Receiving and put-away offline: scans through POST /api/v1/scans, exactly once,
conflicts kept for the supervisor, never dropped."""
import base64
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from receiving_support import SIGNED, ean, products
from webapp.accounts.models import User
from webapp.accounts.services import record_sign_in, register_device
from webapp.catalog.models import Location, StockMovement
from webapp.catalog.stock import ledger_mismatches, on_hand
from webapp.extensions import db
from webapp.receiving import putaway, services, walk
from webapp.receiving.models import Inspection, Receipt
from webapp.sync.models import ScanRecord

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100


@pytest.fixture
def handheld(warehouse):
    """A device registered for receiving: (client, headers). The demo receiver and
    picker have signed in on it (a device sends only the scans of such people), so a
    refused scan is refused for the person's role or the scan itself, not the device."""
    device, token = register_device("HH-RCV", roles=["receiver"])
    for username in ("receiver", "picker"):
        record_sign_in(device.id, db.session.scalar(
            select(User.id).where(User.username == username)))
    db.session.commit()
    return warehouse.test_client(), {"Authorization": f"Bearer {token}"}


class Device:
    """Makes scans as the outbox does: uuid, increasing seq, device time."""

    def __init__(self, user_id):
        self.user_id, self.seq = user_id, 0

    def scan(self, action, code, subject_id, quantity=1, **extra):
        """One scan JSON."""
        self.seq += 1
        return {"id": str(uuid.uuid4()), "seq": self.seq, "user_id": self.user_id,
                "device_time": datetime.now(timezone.utc).isoformat(), "action": action,
                "code": code, "quantity": quantity, "subject_id": subject_id, **extra}


def send(handheld, scans):
    """POST a batch; return the statuses."""
    client, headers = handheld
    response = client.post("/api/v1/scans", json={"scans": scans}, headers=headers)
    assert response.status_code == 200, response.data
    db.session.expire_all()
    return [(r["status"], r["reason"]) for r in response.get_json()["results"]]


def test_offline_receiving_applies_once_and_replays_as_duplicates(handheld, receipt, user_id):
    p1, p2 = products(2)
    receipt_id = receipt([(p1.sku, 3), (p2.sku, 2)])
    device = Device(user_id("receiver"))
    gs1 = f"(01){ean(p1).zfill(14)}(17)270630(10)B42"
    photo = "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()
    batch = [device.scan("receive", ean(p1), receipt_id),
             device.scan("receive", gs1, receipt_id),
             device.scan("receive", ean(p2), receipt_id, 2),
             device.scan("receive", ean(p1), receipt_id, payload={
                 "outcome": "fail", "reason": "damaged", "note": "wet", "photo": photo})]
    assert [s for s, _ in send(handheld, batch)] == ["applied"] * 4
    assert [s for s, _ in send(handheld, batch)] == ["duplicate"] * 4
    row = db.session.get(Receipt, receipt_id)
    assert [(ln.received_qty, ln.passed_qty, ln.failed_qty) for ln in row.lines] == [
        (3, 2, 1), (2, 2, 0)]
    dock = db.session.scalar(select(Location).where(Location.code == "RCV-01"))
    assert on_hand(p1.id, dock.id) == 2
    failed = db.session.scalar(select(Inspection).where(Inspection.outcome == "fail"))
    assert failed.photos[0].data == JPEG and failed.reason == "damaged"
    lots = db.session.scalars(select(Inspection.lot).where(Inspection.lot != "")).all()
    assert lots == ["B42"]
    assert len(db.session.scalars(select(StockMovement).where(
        StockMovement.reason.in_(("receipt", "defective")))).all()) == 4
    assert ledger_mismatches() == []


def test_a_scan_for_a_receipt_closed_meanwhile_is_a_conflict(handheld, receipt, user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 3)])
    receiver = user_id("receiver")
    services.scan(receipt_id, receiver, ean(p1), 1)
    services.close(receipt_id, receiver, "Li Lei", "ACME", **SIGNED)
    db.session.commit()
    (result,) = send(handheld, [Device(receiver).scan("receive", ean(p1), receipt_id)])
    assert result[0] == "conflict" and "received" in result[1]
    record = db.session.scalar(select(ScanRecord).where(ScanRecord.action == "receive"))
    assert record.status == "conflict" and record.subject_id == receipt_id
    assert db.session.get(Receipt, receipt_id).lines[0].received_qty == 1


def test_a_cancelled_receipt_is_a_conflict_too(handheld, receipt, user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 3)])
    services.cancel(receipt_id, user_id("supervisor"))
    db.session.commit()
    (result,) = send(handheld, [Device(user_id("receiver")).scan("receive", ean(p1),
                                                                receipt_id)])
    assert result[0] == "conflict" and "cancelled" in result[1]


def test_an_over_receipt_found_on_the_server_is_a_conflict_not_dropped(handheld, receipt,
                                                                       user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 1)])
    receiver = user_id("receiver")
    services.scan(receipt_id, receiver, ean(p1), 1)  # another handheld got there first
    db.session.commit()
    (result,) = send(handheld, [Device(receiver).scan("receive", ean(p1), receipt_id)])
    assert result[0] == "conflict" and "More than expected" in result[1]
    with_reason = Device(receiver).scan("receive", ean(p1), receipt_id,
                                        payload={"accept_note": "extra on pallet"})
    assert send(handheld, [with_reason])[0][0] == "applied"


@pytest.mark.parametrize("extra, reason", [
    ({"payload": {"outcome": "maybe"}}, "payload.outcome"),
    ({"payload": {"outcome": "fail"}}, "Choose why"),
    ({"payload": {"outcome": "fail", "reason": "damaged", "photo": "data:text/html,<b>"}},
     "photo"),
    ({"subject_id": None}, "needs subject_id"),
    ({"subject_id": 99999}, "unknown receipt"),
])
def test_malformed_receiving_scans_are_rejected_with_the_reason(handheld, receipt, user_id,
                                                                extra, reason):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 3)])
    scan = {**Device(user_id("receiver")).scan("receive", ean(p1), receipt_id), **extra}
    (result,) = send(handheld, [scan])
    assert result[0] == "rejected" and reason in result[1]
    assert db.session.get(Receipt, receipt_id).lines[0].received_qty == 0


def test_a_picker_may_not_receive(handheld, receipt, user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 3)])
    (result,) = send(handheld, [Device(user_id("picker")).scan("receive", ean(p1), receipt_id)])
    assert result == ("rejected", "this person may not receive")


def test_offline_putaway_moves_once_and_a_task_done_meanwhile_conflicts(handheld, receipt,
                                                                         user_id):
    p1, p2 = products(2)
    receipt_id = receipt([(p1.sku, 2), (p2.sku, 1)])
    receiver = user_id("receiver")
    for product in (p1, p2):
        services.scan(receipt_id, receiver, product.sku, 2 if product is p1 else 1)
    run = services.close(receipt_id, receiver, "Li Lei", "ACME", **SIGNED)
    putaway.plan(run)
    db.session.commit()
    first, second = sorted(run.tasks, key=lambda t: (t.walk, t.sequence))
    device = Device(receiver)
    batch = [device.scan("putaway", first.suggested.code, run.id, line_id=first.id),
             device.scan("putaway", ean(first.product), run.id, line_id=first.id)]
    assert [s for s, _ in send(handheld, batch)] == ["applied", "applied"]
    assert [s for s, _ in send(handheld, batch)] == ["duplicate", "duplicate"]
    assert on_hand(first.product_id, first.suggested_location_id) >= first.quantity
    # The second task is done on another handheld while this one is offline.
    assert walk.scan(run.id, receiver, second.suggested.code).ok
    assert walk.scan(run.id, receiver, second.product.sku).ok
    db.session.commit()
    late = device.scan("putaway", second.suggested.code, run.id, line_id=second.id)
    assert send(handheld, [late])[0][0] == "conflict"
    assert len(db.session.scalars(select(StockMovement).where(
        StockMovement.reason == "putaway")).all()) == 2
    assert db.session.get(Receipt, receipt_id).status == "put_away"
    assert ledger_mismatches() == []


def closed_and_planned(receipt, user_id, lines):
    """A receipt of `lines` [(product, units)] received, closed and planned: its run."""
    receipt_id = receipt([(p.sku, qty) for p, qty in lines])
    receiver = user_id("receiver")
    for product, qty in lines:
        services.scan(receipt_id, receiver, product.sku, qty)
    run = services.close(receipt_id, receiver, "Li Lei", "ACME", **SIGNED)
    putaway.plan(run)
    db.session.commit()
    return run


def test_the_offline_copy_of_a_run_holds_what_the_handheld_judges_with(handheld, receipt,
                                                                        user_id):
    p1, p2 = products(2)
    run = closed_and_planned(receipt, user_id, [(p1, 2), (p2, 1)])
    client, headers = handheld
    first = sorted(run.tasks, key=lambda t: (t.walk, t.sequence))[0]
    assert walk.scan(run.id, user_id("receiver"), first.suggested.code).ok
    db.session.commit()
    copy = client.get(f"/api/v1/putaway/{run.id}/offline", headers=headers).get_json()
    assert [t["task_id"] for t in copy["tasks"]] == [
        t.id for t in sorted(run.tasks, key=lambda t: (t.walk, t.sequence))]
    assert copy["tasks"][0]["location_confirmed"] is True
    assert copy["tasks"][0]["location_code"] == first.suggested.code
    assert set(ean(p) for p in (p1, p2)) <= {k for t in copy["tasks"] for k in t["product"]["keys"]}
    assert first.suggested.code in copy["bins"]
    assert first.from_location.code in copy["other_locations"]
    assert copy["number"] == db.session.get(Receipt, run.source_id).number


def test_the_offline_copy_waits_for_planning(handheld, receipt, user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 1)])
    services.scan(receipt_id, user_id("receiver"), p1.sku, 1)
    run = services.close(receipt_id, user_id("receiver"), "Li Lei", "ACME", **SIGNED)
    db.session.commit()
    client, headers = handheld
    response = client.get(f"/api/v1/putaway/{run.id}/offline", headers=headers)
    assert response.status_code == 409 and response.get_json()["status"] == "queued"
    assert client.get("/api/v1/putaway/999999/offline", headers=headers).status_code == 404


def test_a_handheld_walks_its_own_tasks_while_another_person_holds_the_first(
        handheld, receipt, user_id):
    """Offline the device walks the second task while the first is still someone's,
    into another bin than suggested: applied, the override recorded, stock in that bin."""
    p1, p2 = products(2)
    run = closed_and_planned(receipt, user_id, [(p1, 2), (p2, 1)])
    receiver = user_id("receiver")
    first, second = sorted(run.tasks, key=lambda t: (t.walk, t.sequence))
    assert walk.scan(run.id, receiver, first.suggested.code).ok  # someone stands at bin 1
    db.session.commit()
    other = db.session.scalar(select(Location).where(
        Location.type == "storage", Location.id.not_in(
            [first.suggested_location_id, second.suggested_location_id])).limit(1))
    device = Device(receiver)
    batch = [device.scan("putaway", other.code, run.id, line_id=second.id),
             device.scan("putaway", ean(second.product), run.id, line_id=second.id),
             device.scan("putaway", ean(second.product), run.id, line_id=second.id,
                         refused="This put-away task was already done.")]
    assert [s for s, _ in send(handheld, batch)] == ["applied", "applied", "rejected"]
    second = db.session.get(type(second), second.id)
    assert (second.status, second.override, second.location_id) == ("done", True, other.id)
    assert on_hand(second.product_id, other.id) >= second.quantity
    assert db.session.get(type(first), first.id).status == "pending"
    assert db.session.get(Receipt, run.source_id).status == "received"
    assert ledger_mismatches() == []


def test_a_receipt_closed_offline_is_closed_after_its_scans_and_planned_when_opened(
        handheld, receipt, user_id, sign_in):
    from webapp.receiving.models import PutawayRun
    from webapp.signatures.models import Signature
    p1, p2 = products(2)
    receipt_id = receipt([(p1.sku, 1), (p2.sku, 1)])
    device = Device(user_id("receiver"))
    close = {"delivered_by": "Li Lei", "company": "ACME", **SIGNED}
    incomplete = device.scan("receive_close", "close", receipt_id, payload={"company": "ACME"})
    assert send(handheld, [incomplete])[0][0] == "rejected"
    batch = [device.scan("receive", ean(p1), receipt_id),
             device.scan("receive", ean(p2), receipt_id),
             device.scan("receive_close", "close", receipt_id, payload=close)]
    assert [s for s, _ in send(handheld, batch)] == ["applied"] * 3
    assert [s for s, _ in send(handheld, batch)] == ["duplicate"] * 3
    closed = db.session.get(Receipt, receipt_id)
    assert closed.status == "received" and closed.delivered_by == "Li Lei"
    assert sorted(s.signer_role for s in db.session.scalars(select(Signature).where(
        Signature.subject_id == receipt_id))) == ["deliverer", "receiver"]
    assert closed.events[-1].note == "closed on the handheld offline"
    run = db.session.scalar(select(PutawayRun).where(PutawayRun.source_id == receipt_id))
    assert (run.status, run.job_id) == ("queued", None)
    # The receiver opens the put-away: its planning job is queued then.
    client = sign_in(handheld[0].application.test_client(), "receiver")
    assert client.get(f"/putaway/{run.id}").status_code == 200
    db.session.expire_all()
    assert db.session.get(PutawayRun, run.id).job_id
    # A second close of the same receipt (another handheld) is a conflict, kept.
    again = device.scan("receive_close", "close", receipt_id, payload=close)
    status, reason = send(handheld, [again])[0]
    assert status == "conflict" and "received" in reason


def test_a_close_made_offline_for_a_receipt_with_nothing_received_is_a_conflict(
        handheld, receipt, user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 1)])
    close = Device(user_id("receiver")).scan(
        "receive_close", "close", receipt_id,
        payload={"delivered_by": "Li Lei", "company": "ACME", **SIGNED})
    status, reason = send(handheld, [close])[0]
    assert status == "conflict" and "Nothing was received" in reason
    assert db.session.get(Receipt, receipt_id).status == "expected"
