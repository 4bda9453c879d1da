"""Packing verification scans (复核) through the sync API, and the order a packing station
takes offline: applied once, wrong items rejected alone, conflicts kept, roles checked."""
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from webapp.accounts.models import User
from webapp.catalog.models import Barcode, Product
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.orders.services import cancel_order
from webapp.packing import services as packing
from webapp.picking import services as picking
from webapp.picking.models import PickTask
from webapp.sync.models import ScanRecord


def barcode_of(product_id):
    """The product's first barcode."""
    return db.session.scalar(select(Barcode.code).where(Barcode.product_id == product_id)
                             .order_by(Barcode.id))


@pytest.fixture
def picked(walk):
    """The walked list picked to the end: its first order waits at packing."""
    list_id, picker = walk["list"].id, walk["picker"].id
    for task in db.session.scalars(select(PickTask).where(PickTask.pick_list_id == list_id)
                                   .order_by(PickTask.sequence)).all():
        for code in [task.location.code] + [barcode_of(task.product_id)] * task.quantity:
            assert picking.scan(list_id, picker, code, 1).ok
            db.session.commit()
    order = db.session.scalars(select(Order).where(Order.status == "picked")
                               .order_by(Order.id)).first()
    assert order is not None
    return order


@pytest.fixture
def packer():
    return db.session.scalar(select(User).where(User.username == "packer"))


def verify_scan(order_id, user_id, code, seq):
    """One verify scan as a device makes it."""
    return {"id": str(uuid.uuid4()), "seq": seq, "user_id": user_id, "action": "verify",
            "device_time": datetime.now(timezone.utc).isoformat(), "code": code,
            "quantity": 1, "order_id": order_id}


def every_unit(order, user_id, start=1):
    """One scan per unit of every line: what verifies the whole order."""
    codes = [barcode_of(line.product_id) for line in order.lines for _ in range(line.quantity)]
    return [verify_scan(order.id, user_id, code, start + n) for n, code in enumerate(codes)]


def post(app, device, scans):
    response = app.test_client().post("/api/v1/scans", headers=device["headers"],
                                      json={"device_id": device["id"], "scans": scans})
    assert response.status_code == 200, response.data
    return response.get_json()["results"]


def test_an_order_verified_offline_is_applied_once_and_can_be_packed(walk, device, picked,
                                                                    packer):
    order = picked
    mine = {line.product_id for line in order.lines}
    other = db.session.scalar(select(Barcode.code).where(Barcode.product_id.not_in(mine)))
    batch = ([verify_scan(order.id, packer.id, other, 1)] + every_unit(order, packer.id, 2)
             + [verify_scan(order.id, packer.id, barcode_of(order.lines[0].product_id), 99)])
    results = post(walk["app"], device, batch)
    assert [r["status"] for r in results] == ["rejected"] + ["applied"] * (len(batch) - 2) + [
        "rejected"]
    assert results[0]["reason"] == "Wrong item: not in this order."
    assert results[-1]["reason"] == "Too many: this item is already complete."
    assert {r["status"] for r in post(walk["app"], device, batch)} == {"duplicate"}
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert packing.fully_verified(order)
    assert order.verified_by_id == packer.id  # the person who scanned is the checker (复核人)
    assert db.session.scalar(select(func.count()).select_from(ScanRecord)) == len(batch)


def test_a_verify_scan_for_an_order_cancelled_meanwhile_is_a_conflict(walk, device, picked,
                                                                      packer):
    cancel_order(picked.id, None, "customer cancelled")
    db.session.commit()
    results = post(walk["app"], device, every_unit(picked, packer.id)[:1])
    assert results[0]["status"] == "conflict" and "cancelled" in results[0]["reason"]


def test_a_picker_may_not_verify_and_a_verify_scan_needs_its_order(walk, device, picked):
    picker = walk["picker"]
    scan = every_unit(picked, picker.id)[0]
    no_order = {**every_unit(picked, picker.id, 5)[0], "order_id": None}
    results = post(walk["app"], device, [scan, no_order])
    assert [r["reason"] for r in results] == ["this person may not verify",
                                              "a verify scan needs order_id"]


# ---------------------------------------------------------------- the order taken offline
def signed_in(walk, username):
    """A client of the test's app (SQLite or PostgreSQL) signed in as a demo person."""
    client = walk["app"].test_client()
    assert client.post("/login", data={"username": username, "password": "demo"}).status_code == 302
    return client


def test_the_offline_copy_of_an_order(walk, device, picked):
    packer_client = signed_in(walk, "packer")
    response = packer_client.get(f"/api/v1/orders/{picked.id}/offline")
    assert response.status_code == 200
    copy = response.get_json()
    assert copy["order_id"] == picked.id and copy["status"] == "picked"
    assert copy["order_code"] == packing.order_barcode(picked)
    line = copy["lines"][0]
    assert line["verified_qty"] == 0 and line["quantity"] == picked.lines[0].quantity
    assert barcode_of(picked.lines[0].product_id) in line["barcodes"]
    assert line["sku"] in line["keys"]
    assert line["product_sku"] == picked.lines[0].product.sku
    # Every code of the catalogue: the device tells a wrong item from an unknown code.
    assert set(copy["catalog"]["barcodes"]) == set(db.session.scalars(select(Barcode.code)))
    assert set(copy["catalog"]["skus"]) == set(db.session.scalars(select(Product.sku)))
    # The device token works too (no session); a picker may not have it.
    by_token = walk["app"].test_client().get(f"/api/v1/orders/{picked.id}/offline",
                                             headers=device["headers"])
    assert by_token.status_code == 200 and by_token.get_json()["user_id"] is None
    assert signed_in(walk, "picker").get(f"/api/v1/orders/{picked.id}/offline").status_code == 403
    assert packer_client.get("/api/v1/orders/999999/offline").status_code == 404


def test_an_order_not_waiting_for_packing_cannot_be_taken_offline(walk, picked):
    cancel_order(picked.id, None, "customer cancelled")
    db.session.commit()
    response = signed_in(walk, "packer").get(f"/api/v1/orders/{picked.id}/offline")
    assert response.status_code == 409
    assert "cancelled" in response.get_json()["error"]


def test_a_scan_the_device_refused_is_recorded_never_applied(walk, device, picked, packer):
    """The packer set the unit aside on the device's word: the server must not count it,
    even where it would have judged otherwise."""
    scan = {**every_unit(picked, packer.id)[0], "refused": "Unknown barcode X."}
    results = post(walk["app"], device, [scan])
    assert results[0]["status"] == "rejected"
    assert results[0]["reason"] == "refused on the device: Unknown barcode X."
    db.session.expire_all()
    assert sum(line.verified_qty for line in db.session.get(Order, picked.id).lines) == 0
