"""Returns at the dock offline: scans through POST /api/v1/scans applied once, replays
answered duplicate, a return closed meanwhile kept as a conflict, never dropped."""
import base64
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from returns_support import JPEG, code_of, order_in, stocked
from webapp.accounts.services import record_sign_in, register_device
from webapp.catalog.models import Location
from webapp.catalog.stock import ledger_mismatches, on_hand
from webapp.extensions import db
from webapp.returns import resolution, services
from webapp.returns.models import ReturnRequest
from webapp.sync.models import ScanRecord


@pytest.fixture
def handheld(warehouse, user_id):
    """A device registered for receiving, the demo receiver signed in on it."""
    device, token = register_device("HH-RET", roles=["receiver"])
    record_sign_in(device.id, user_id("receiver"))
    db.session.commit()
    return warehouse.test_client(), {"Authorization": f"Bearer {token}"}


@pytest.fixture
def rma(warehouse, user_id):
    """A return of 2 units of one product."""
    (p1,) = stocked(1)
    order = order_in([(p1.sku, 2)], user_id=user_id)
    row = services.open_return(order.id, user_id("customer_service"),
                               {order.lines[0].id: 2}, reason="defective", resolution="refund")
    db.session.commit()
    return row, p1


def scan(user_id, code, subject_id, seq, **extra):
    """One scan as the outbox makes it."""
    return {"id": str(uuid.uuid4()), "seq": seq, "user_id": user_id, "action": "return_in",
            "device_time": datetime.now(timezone.utc).isoformat(), "code": code,
            "quantity": 1, "subject_id": subject_id, **extra}


def send(handheld, scans):
    """POST a batch; the (status, reason) of each scan."""
    client, headers = handheld
    response = client.post("/api/v1/scans", json={"scans": scans}, headers=headers)
    assert response.status_code == 200, response.data
    db.session.expire_all()
    return [(r["status"], r["reason"]) for r in response.get_json()["results"]]


def test_offline_dock_scans_apply_once(handheld, rma, user_id):
    row, p1 = rma
    receiver = user_id("receiver")
    photo = "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()
    batch = [scan(receiver, code_of(p1.id), row.id, 1),
             scan(receiver, code_of(p1.id), row.id, 2,
                  payload={"outcome": "fail", "reason": "damaged", "photo": photo})]
    assert [s for s, _ in send(handheld, batch)] == ["applied", "applied"]
    assert [s for s, _ in send(handheld, batch)] == ["duplicate", "duplicate"]
    line = db.session.get(ReturnRequest, row.id).lines[0]
    assert (line.received_qty, line.passed_qty, line.failed_qty) == (2, 1, 1)
    ret = db.session.scalar(select(Location.id).where(Location.code == "RET-01"))
    assert on_hand(p1.id, ret) == 1 and ledger_mismatches() == []
    bad = send(handheld, [scan(receiver, code_of(p1.id), row.id, 3,
                               payload={"outcome": "maybe"})])
    assert bad[0][0] == "rejected" and "outcome" in bad[0][1]


def test_a_scan_for_a_return_closed_meanwhile_is_a_conflict_not_dropped(handheld, rma,
                                                                        user_id):
    row, p1 = rma
    resolution.reject(row.id, user_id("customer_service"), "customer kept it")
    db.session.commit()
    (result,) = send(handheld, [scan(user_id("receiver"), code_of(p1.id), row.id, 1)])
    assert result[0] == "conflict" and "rejected" in result[1]
    kept = db.session.scalar(select(ScanRecord).where(ScanRecord.action == "return_in"))
    assert kept.status == "conflict" and kept.subject_id == row.id
    assert db.session.get(ReturnRequest, row.id).lines[0].received_qty == 0


def test_an_extra_unit_judged_fine_offline_is_a_conflict(handheld, rma, user_id):
    row, p1 = rma
    receiver = user_id("receiver")
    batch = [scan(receiver, code_of(p1.id), row.id, n) for n in (1, 2, 3)]
    assert [s for s, _ in send(handheld, batch)] == ["applied", "applied", "conflict"]
