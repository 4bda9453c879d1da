"""A warehouse with a row for every id a URL can name, each in the state its pages answer
for: the route matrix then proves that "allowed" means the page answered, not 404.

A plain module (not conftest.py): conftest modules share one name, importing from one
is a lottery.
"""
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from webapp import demo
from webapp.accounts import models as account_models
from webapp.accounts.models import ROLES, User
from webapp.accounts.services import create_user, record_sign_in, register_device
from webapp.catalog.models import Barcode, Location, Product
from webapp.extensions import db
from webapp.orders.models import Order, OrderException
from webapp.packing import services as packing
from webapp.packing.documents import render_label
from webapp.picking import services as picking
from webapp.picking.models import PickList, Wave
from webapp.reconciliation.services import request_run
from webapp.sync.models import ScanRecord

PARCEL = {"weight_g": 800, "length_mm": 300, "width_mm": 200, "height_mm": 100}
_HASHES = {}


def _hash_once(password, *args, **kwargs):
    """generate_password_hash computed once per password: the world is built per test."""
    if password not in _HASHES:
        _HASHES[password] = generate_password_hash(password, *args, **kwargs)
    return _HASHES[password]


def build():
    """The demo warehouse (orders, a wave, pick lists, held orders) plus a walked list,
    a packed and booked order, an order waiting for packing, a conflict, a run, devices
    of every kind; returns {name: id} and the device tokens."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(account_models, "generate_password_hash", _hash_once)
        demo.seed(products=40)
        someone = create_user("someone", "pw-123456", ["picker"])
    db.session.flush()
    picker = db.session.scalar(select(User).where(User.username == "picker"))
    lists = db.session.scalars(select(PickList).order_by(PickList.id)).all()
    picked_orders = _walk(lists[0].id, picker.id)
    picking.start_list(lists[1].id, picker.id)  # one in progress: the task screen
    packed, waiting = picked_orders[0], picked_orders[1]
    parcel_id = _pack(packed, picker.id)
    request_run(None)
    ids = {"order_packed": packed, "order_picked": waiting, "list_walking": lists[1].id,
           "parcel": parcel_id, "user": someone.id, "record": _conflict(picker.id),
           "wave": _first(Wave), "exception": _first(OrderException),
           "location": _first(Location), "product": _first(Product)}
    ids["run"] = db.session.scalar(select(db.metadata.tables["reconciliation_run"].c.id))
    tokens = _devices(picker.id)
    ids["device"] = tokens["picker"]["id"]
    db.session.commit()
    return {"ids": ids, "devices": tokens, "picker": picker.id}


def _first(model):
    """The smallest id of a table."""
    return db.session.scalar(select(model.id).order_by(model.id).limit(1))


def _walk(list_id, picker_id):
    """Walk a whole list the right way; return the ids of its orders (now picked)."""
    picking.start_list(list_id, picker_id)
    pick_list = db.session.get(PickList, list_id)
    while (task := picking.current_task(pick_list)) is not None:
        assert picking.scan(list_id, picker_id, task.location.code).ok
        code = db.session.scalar(select(Barcode.code).where(
            Barcode.product_id == task.product_id))
        for _ in range(task.quantity):
            assert picking.scan(list_id, picker_id, code).ok
    db.session.flush()
    orders = db.session.scalars(select(Order.id).where(Order.status == "picked")
                                .order_by(Order.id)).all()
    assert len(orders) >= 2, "the demo's first list should hold two orders or more"
    return orders


def _pack(order_id, user_id):
    """Verify every unit, pack into one parcel, book it; return the parcel's id."""
    order = db.session.get(Order, order_id)
    for line in order.lines:
        code = db.session.scalar(select(Barcode.code).where(
            Barcode.product_id == line.product_id))
        for _ in range(line.quantity):
            assert packing.verify_scan(order.id, code).ok
    shipment = packing.pack(order.id, [PARCEL], user_id)
    packing.book(shipment.id, render_label)
    return shipment.parcels[0].id


def _conflict(user_id):
    """A synced scan that no longer fitted, waiting for a supervisor."""
    record = ScanRecord(scan_uuid=str(uuid.uuid4()), seq=1, user_id=user_id, action="pick",
                        code="X", quantity=1, status="conflict", reason="test",
                        device_time=datetime.now(timezone.utc))
    db.session.add(record)
    db.session.flush()
    return record.id


def _devices(picker_id):
    """One device per role (a picking handheld, a packing station, a courier's
    phone...), each held by the demo picker: {role: {"id", "token"}}."""
    found = {}
    for role in ROLES:
        device, token = register_device(f"DEV-{role}", roles=[role])
        record_sign_in(device.id, picker_id)
        found[role] = {"id": device.id, "token": token}
    return found


def hand_list_to(world, username):
    """Give the walking list to this person: pick-list pages answer only their picker."""
    pick_list = db.session.get(PickList, world["ids"]["list_walking"])
    pick_list.picker_id = db.session.scalar(select(User.id).where(User.username == username))
    db.session.commit()
