"""A warehouse with a row for every id a URL can name, each in the state its pages answer
for: the route matrix then proves that "allowed" means the page answered, not 404.

A plain module (not conftest.py): conftest modules share one name, importing from one
is a lottery.
"""
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from demo_seed import hash_once
from webapp import demo
from webapp.accounts import models as account_models
from webapp.accounts.models import ROLES, User
from webapp.accounts.services import create_user, record_sign_in, register_device
from webapp.catalog.models import Barcode, Location, Product
from webapp.counts.plans import create_plan
from webapp.counts.services import raise_count
from webapp.extensions import db
from webapp.handoff import services as handoff
from webapp.handoff.handover import hand_over
from webapp.handoff.models import ManifestParcel
from webapp.handoff.tracking import open_case
from webapp.orders.models import Order, OrderException
from webapp.packing import booking
from webapp.packing import services as packing
from webapp.packing.boxes import save_preset
from webapp.packing.documents import render_label
from webapp.packing.models import Shipment
from webapp.packing.stations import save_station
from webapp.picking import services as picking
from webapp.picking.models import PickList, Wave
from webapp.receiving import putaway
from webapp.receiving import services as receiving
from webapp.receiving.corrections import drop_line
from webapp.receiving.models import InspectionPhoto, Receipt, ReceiptLine
from webapp.reconciliation.services import request_run
from webapp.sync.models import ScanRecord

PARCEL = {"weight_g": 800, "length_mm": 300, "width_mm": 200, "height_mm": 100}
# The smallest PNG header the inspection photo check takes (a handheld's camera shot).
PHOTO = (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
# Both signatures as signature_pad's toSVG() writes them (the receipt's close form).
SIG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 336 176" width="336" '
       'height="176"><path d="M 20.000,40.000 C 25.100,42.300 30.000,45.000 35.500,50.250" '
       'stroke-width="3.120" stroke="#0d1117" fill="none" stroke-linecap="round"></path></svg>')
HANDED = {"warehouse_name": "张仓管", "warehouse_svg": SIG, "courier_svg": SIG}
COURIER = {"name": "王师傅", "company": "Built-in Express", "badge": "13900001111"}


def build():
    """The demo warehouse (orders, a wave, pick lists, held orders, receipts) plus a
    walked list, a packed and booked order (one parcel handed over on a signed manifest,
    one on the next open one, a case), an order waiting for packing, a receipt being
    received and one closed with its put-away planned, a box, a station, a conflict, a
    run, devices of every kind; returns {name: id} and the device tokens."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(account_models, "generate_password_hash", hash_once)
        demo.seed(products=40)
        someone = create_user("someone", "pw-123456", ["picker"])
    db.session.flush()
    picker = db.session.scalar(select(User).where(User.username == "picker"))
    lists = db.session.scalars(select(PickList).order_by(PickList.id)).all()
    picked_orders = _walk(lists[0].id, picker.id)
    picking.start_list(lists[1].id, picker.id)  # one in progress: the task screen
    packed, waiting = picked_orders[0], picked_orders[1]
    shipment_id, parcel_id = _pack(packed, picker.id)
    request_run(None)
    ids = {"order_packed": packed, "order_picked": waiting, "list_walking": lists[1].id,
           "parcel": parcel_id, "user": someone.id, "record": _conflict(picker.id),
           **_outbound(shipment_id, parcel_id, picker.id), **_receiving(),
           **_returns(packed),
           "wave": _first(Wave), "exception": _first(OrderException),
           "location": _first(Location), "product": _first(Product)}
    ids["run"] = db.session.scalar(select(db.metadata.tables["reconciliation_run"].c.id))
    ids.update(_counts())
    tokens = _devices(picker.id)
    ids["device"] = tokens["picker"]["id"]
    db.session.commit()
    return {"ids": ids, "devices": tokens, "picker": picker.id}


def _counts():
    """A finished count plan and an open count (the count screen answers any counter)."""
    plan = create_plan("zone", {"zone": "A"}, None)
    plan.status = "finished"
    task = raise_count(_first(Location), None, "access world")
    return {"plan": plan.id, "count": task.id}


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
    shipment = packing.pack(order.id, [PARCEL, PARCEL], user_id)  # two: a partial handoff
    booking.book(shipment.id, render_label)
    return shipment.id, shipment.parcels[0].id


def _outbound(shipment_id, parcel_id, clerk_id):
    """The booked parcels on their carrier's manifest (as the booking job leaves them),
    one scanned and handed over (that manifest signed), the other moved to the next open
    manifest; an after-sales case about the first parcel, a box preset, a station."""
    handoff.add_shipment(shipment_id)
    given = db.session.get(Shipment, shipment_id).parcels[1]
    membership = db.session.scalar(select(ManifestParcel).where(
        ManifestParcel.parcel_id == given.id))
    assert handoff.scan(membership.manifest_id, given.tracking_number, clerk_id).ok
    hand_over(membership.manifest_id, clerk_id, COURIER, HANDED)
    manifest_id = db.session.scalar(select(ManifestParcel.manifest_id).where(
        ManifestParcel.parcel_id == parcel_id, ManifestParcel.status == "expected"))
    preset = save_preset({"code": "BOX-M", "name": "Medium box", "inner_length_mm": "300",
                          "inner_width_mm": "200", "inner_height_mm": "150", "tare_g": "120"})
    station = save_station({"code": "PACK-1", "name": "Packing 1"})
    return {"manifest": manifest_id, "manifest_signed": membership.manifest_id,
            "case": open_case(parcel_id, "stuck").id, "preset": preset.id,
            "station": station.id}


def _receiving():
    """The demo's first receipt being received (a unit passed, one failed with a photo);
    its second received, closed with both signatures and its put-away planned."""
    receiver = db.session.scalar(select(User.id).where(User.username == "receiver"))
    receiving_id, received_id = db.session.scalars(
        select(Receipt.id).order_by(Receipt.id).limit(2)).all()
    supervisor = db.session.scalar(select(User.id).where(User.username == "supervisor"))
    for line in db.session.scalars(select(ReceiptLine).where(ReceiptLine.problem.is_not(None))):
        drop_line(line.id, supervisor)  # the demo's held line, put right before receiving
    for receipt_id in (receiving_id, received_id):
        assert receiving.scan(receipt_id, receiver, sku_of(receipt_id)).ok
    assert receiving.scan(receiving_id, receiver, sku_of(receiving_id), outcome="fail",
                          reason="damaged", photos=[PHOTO]).ok
    run = receiving.close(received_id, receiver, "Li Lei", "ACME", receiver_svg=SIG,
                          deliverer_svg=SIG)
    putaway.plan(run)
    assert run.tasks, "the received units should have somewhere to go"
    return {"receipt": receiving_id, "receipt_received": received_id, "putaway_run": run.id,
            "line": db.session.get(Receipt, receiving_id).lines[0].id,
            "photo": _first(InspectionPhoto)}


def _returns(order_id):
    """A return (RMA) with a photo, logged for the packed order. Written as rows: the
    rules refuse a return for an order not handed over, and handing this one over would
    sign the open manifest the handoff routes need (the rules are tested in
    tests/returns)."""
    from webapp.returns.models import ChannelNotice, ReturnLine, ReturnPhoto, ReturnRequest
    from webapp.returns.states import record_creation
    order = db.session.get(Order, order_id)
    rma = ReturnRequest(order_id=order.id, reason="defective", resolution="refund",
                        lines=[ReturnLine(order_line_id=order.lines[0].id,
                                          product_id=order.lines[0].product_id, quantity=1)],
                        photos=[ReturnPhoto(content_type=PHOTO[1], data=PHOTO[0])],
                        notices=[ChannelNotice(kind="refund", channel=order.channel,
                                               status="failed", error="test")])
    db.session.add(rma)
    db.session.flush()
    record_creation(rma)
    return {"return": rma.id, "return_photo": rma.photos[0].id, "notice": rma.notices[0].id}


def sku_of(receipt_id):
    """The SKU of a receipt's first line."""
    return db.session.get(Receipt, receipt_id).lines[0].sku


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
