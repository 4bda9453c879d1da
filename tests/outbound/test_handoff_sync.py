"""Handoff offline: the manifest's copy, scans and signatures through the one sync API."""
import uuid
from datetime import datetime, timezone

from sqlalchemy import func, select

from handoff_support import SIGNED, packed_and_booked
from webapp.accounts.services import record_sign_in, register_device
from webapp.extensions import db
from webapp.handoff.models import Manifest, ManifestParcel
from webapp.orders.models import Order
from webapp.orders.services import cancel_order
from webapp.packing.models import Parcel, Shipment
from webapp.signatures.models import Signature
from webapp.sync.models import ScanRecord

COURIER = {"courier_name": "赵师傅", "courier_company": "Built-in Express",
           "courier_badge": "13700002222"}


class Phone:
    """A phone registered for handoff sending scans the way offline-handoff.js does;
    its person has signed in on it (a device sends only the scans of such people)."""

    def __init__(self, app, user_id):
        device, token = register_device("courier-phone", roles=["courier"])
        record_sign_in(device.id, user_id)
        db.session.commit()
        self.client, self.user_id, self.seq, self.device_id = app.test_client(), user_id, 0, device.id
        self.headers = {"Authorization": f"Bearer {token}"}

    def scan(self, manifest_id, code, action="handoff", **extra):
        """One scan as the outbox keeps it."""
        self.seq += 1
        return {"id": str(uuid.uuid4()), "seq": self.seq, "user_id": self.user_id,
                "device_time": datetime.now(timezone.utc).isoformat(), "action": action,
                "code": code, "quantity": 1, "subject_id": manifest_id, **extra}

    def send(self, scans):
        """POST the batch; the results' statuses."""
        response = self.client.post("/api/v1/scans", headers=self.headers,
                                    json={"device_id": self.device_id, "scans": scans})
        assert response.status_code == 200, response.data
        return [(r["status"], r["reason"]) for r in response.get_json()["results"]]


def manifest_of(number):
    """The manifest a tracking number is on now."""
    return db.session.scalar(select(Manifest).join(ManifestParcel).join(Parcel).where(
        Parcel.tracking_number == number, ManifestParcel.status.in_(("expected", "scanned"))))


def test_the_offline_copy_lists_every_parcel(warehouse, make_planned, user_id):
    numbers = packed_and_booked(make_planned, user_id, 2)
    manifest = manifest_of(numbers[0])
    phone = Phone(warehouse, user_id("courier"))
    copy = phone.client.get(f"/api/v1/manifests/{manifest.id}/offline", headers=phone.headers)
    assert copy.status_code == 200
    body = copy.get_json()
    assert body["subject_id"] == manifest.id and body["code"] == manifest.code
    assert sorted(p["tracking_number"] for p in body["parcels"]) == sorted(numbers)
    assert {p["status"] for p in body["parcels"]} == {"expected"}
    assert phone.client.get("/api/v1/manifests/999999/offline",
                            headers=phone.headers).status_code == 404


def test_scans_and_signatures_apply_once_and_a_cancelled_order_is_a_conflict(
        warehouse, make_planned, user_id):
    numbers = packed_and_booked(make_planned, user_id, 3)
    manifest_id = manifest_of(numbers[0]).id
    phone = Phone(warehouse, user_id("courier"))
    # Offline meanwhile: the supervisor cancels the third order.
    cancel_order(db.session.scalar(select(Order.id).join(Shipment).join(Parcel).where(
        Parcel.tracking_number == numbers[2])), user_id("supervisor"))
    db.session.commit()
    scans = [phone.scan(manifest_id, n) for n in numbers]
    scans.append(phone.scan(manifest_id, "WH999999999CN"))
    sign = phone.scan(manifest_id, "sign", action="handoff_sign", payload={**COURIER, **SIGNED})
    results = phone.send(scans + [sign])
    assert [s for s, _r in results] == ["applied", "applied", "conflict", "rejected", "applied"]
    assert "cancelled" in results[2][1] and "Unknown parcel" in results[3][1]
    assert phone.send(scans + [sign]) == [("duplicate", "already received")] * 5  # sent twice
    manifest = db.session.get(Manifest, manifest_id)
    assert manifest.status == "signed" and manifest.courier_name == "赵师傅"
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 2
    handed = db.session.scalars(select(Order.status).join(Shipment).join(Parcel).where(
        Parcel.tracking_number.in_(numbers[:2]))).all()
    assert handed == ["handed_over", "handed_over"]
    # A second phone signing the same manifest later: a conflict, kept for a supervisor.
    late = phone.scan(manifest_id, "sign", action="handoff_sign", payload={**COURIER, **SIGNED})
    assert phone.send([late])[0][0] == "conflict"
    assert db.session.scalar(select(func.count()).select_from(ScanRecord).where(
        ScanRecord.status == "conflict")) == 2


def test_a_malformed_signature_payload_is_rejected_with_the_reason(warehouse, make_planned,
                                                                   user_id):
    (number,) = packed_and_booked(make_planned, user_id, 1)
    manifest_id = manifest_of(number).id
    phone = Phone(warehouse, user_id("courier"))
    results = phone.send([phone.scan(manifest_id, number),
                          phone.scan(manifest_id, "sign", action="handoff_sign",
                                     payload={**COURIER, "courier_svg": 7}),
                          phone.scan(manifest_id, "sign", action="handoff_sign",
                                     payload={**COURIER, **SIGNED, "courier_svg": ""})])
    assert results[0][0] == "applied"
    assert results[1][0] == "rejected" and "payload" in results[1][1]
    assert results[2][0] == "rejected" and "sign" in results[2][1]
    assert db.session.get(Manifest, manifest_id).status == "open"


def test_a_picker_may_not_sync_handoff_scans(warehouse, make_planned, user_id):
    (number,) = packed_and_booked(make_planned, user_id, 1)
    manifest_id = manifest_of(number).id
    phone = Phone(warehouse, user_id("picker"))
    (status, reason), = phone.send([phone.scan(manifest_id, number)])
    assert status == "rejected" and reason == "this person may not handoff"
    assert manifest_of(number).id == manifest_id
    assert db.session.scalar(select(ManifestParcel.status)) == "expected"
