"""Helpers the returns tests share: an order walked all the way to the courier."""
import json

from sqlalchemy import select

from webapp.catalog.models import Barcode, Location, Product, StockLevel
from webapp.extensions import db
from webapp.handoff import services as handoff
from webapp.handoff.handover import hand_over
from webapp.handoff.services import add_shipment
from webapp.orders.intake import intake
from webapp.orders.models import Order
from webapp.packing import booking
from webapp.packing import services as packing
from webapp.packing.documents import render_label
from webapp.picking import services as picking
from webapp.picking.models import PickList, PickTask, Wave
from webapp.picking.waves import run_wave

SIG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 336 176" width="336" '
       'height="176"><path d="M 20.000,40.000 C 25.100,42.300 30.000,45.000 35.500,50.250" '
       'stroke-width="3.120" stroke="#0d1117" fill="none" stroke-linecap="round"></path></svg>')
HANDED = {"warehouse_name": "张仓管", "warehouse_svg": SIG, "courier_svg": SIG}
COURIER = {"name": "王师傅", "company": "Built-in Express", "badge": "13900001111"}
BOX = {"weight_g": 800, "length_mm": 300, "width_mm": 200, "height_mm": 100}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def stocked(count, min_qty=5):
    """Products with at least min_qty free units in one storage bin."""
    rows = db.session.scalars(
        select(Product).join(StockLevel, StockLevel.product_id == Product.id)
        .join(Location, Location.id == StockLevel.location_id)
        .where(Location.type == "storage", StockLevel.quantity - StockLevel.reserved >= min_qty)
        .group_by(Product.id).order_by(Product.sku).limit(count)).all()
    assert len(rows) == count
    return rows


def code_of(product_id):
    """A product's first barcode."""
    return db.session.scalar(select(Barcode.code).where(Barcode.product_id == product_id)
                             .order_by(Barcode.id))


def order_in(lines, number="R-1", phone="13911112222", name="韩梅梅", state="handed_over",
             user_id=None):
    """An order of [(sku, qty)] or [(sku, qty, unit price)] taken as far as `state`
    through the real services: new, picked, packed or handed_over. Returns the order."""
    result = intake({"channel": "shop", "order_no": number, "carrier": "builtin",
                     "address": {"name": name, "phone": phone, "line1": "1 Renmin Rd",
                                 "city": "Hangzhou", "province": "Zhejiang",
                                 "postcode": "310000"},
                     "lines": [{"sku": s, "quantity": q, "unit_price": (price or [None])[0]}
                               for s, q, *price in lines]})
    assert result.outcome == "created", result.problems
    db.session.commit()
    order = db.session.get(Order, result.order_id)
    if state == "new":
        return order
    _pick(order, user_id("picker"))
    if state == "picked":
        return order
    for line in order.lines:
        for _ in range(line.quantity):
            assert packing.verify_scan(order.id, code_of(line.product_id)).ok
    shipment = packing.pack(order.id, [BOX], user_id("packer"))
    booking.book(shipment.id, render_label)
    add_shipment(shipment.id)
    db.session.commit()
    if state == "packed":
        return order
    parcel = shipment.parcels[0]
    manifest = handoff.open_manifest("builtin")
    assert handoff.scan(manifest.id, parcel.tracking_number, user_id("courier")).ok
    hand_over(manifest.id, user_id("packer"), COURIER, HANDED)
    db.session.commit()
    db.session.refresh(order)
    assert order.status == "handed_over"
    return order


def _pick(order, picker_id):
    """Plan a wave and walk the order's list."""
    wave = Wave(params_json=json.dumps({"max_orders": 10, "max_lines": 100}))
    db.session.add(wave)
    db.session.commit()
    run_wave(wave)
    db.session.commit()
    list_id = db.session.scalar(select(PickTask.pick_list_id).where(
        PickTask.order_id == order.id))
    picking.start_list(list_id, picker_id)
    pick_list = db.session.get(PickList, list_id)
    while (task := picking.current_task(pick_list)) is not None:
        assert picking.scan(list_id, picker_id, task.location.code).ok
        for _ in range(task.quantity - task.picked_qty):
            assert picking.scan(list_id, picker_id, code_of(task.product_id)).ok
    db.session.commit()


def tracking_of(order):
    """The tracking number of an order's first parcel."""
    from webapp.packing.models import Parcel, Shipment
    return db.session.scalar(select(Parcel.tracking_number).join(Shipment)
                             .where(Shipment.order_id == order.id))
