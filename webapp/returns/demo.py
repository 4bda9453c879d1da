"""Demo returns: orders shipped through the real flow (wave, pick, 复核, pack, book,
交接), and returns in different states, so customer service and the dock have work.

`ship_order` is also what the browser test uses to have a shipped order to return.
"""
import json

from sqlalchemy import select

from ..accounts.models import User
from ..catalog.models import Barcode, Product
from ..demo import demo_price
from ..extensions import db
from ..handoff import services as handoff
from ..handoff.handover import hand_over
from ..orders.intake import MAX_PRIORITY, intake
from ..orders.models import Order
from ..packing import booking
from ..packing import services as packing
from ..packing.documents import render_label
from ..picking import services as picking
from ..picking.models import PickList, PickTask, Wave
from ..picking.waves import run_wave
from ..receiving import putaway
from . import dock, services

# A drawing as signature_pad's toSVG() writes it: both sides of the demo 交接单.
_SIGNATURE = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 336 176" width="336" '
              'height="176"><path d="M 20.000,40.000 C 25.100,42.300 30.000,45.000 35.500,50.250"'
              ' stroke-width="3.120" stroke="#0d1117" fill="none" stroke-linecap="round">'
              '</path></svg>')
_BOX = {"weight_g": 900, "length_mm": 300, "width_mm": 200, "height_mm": 120}
_COURIER = {"name": "王师傅", "company": "Built-in Express", "badge": "13900001111"}


def _person(role):
    """The demo person of a role."""
    return db.session.scalar(select(User.id).where(User.username == role))


def _code(product_id):
    """A product's first barcode."""
    return db.session.scalar(select(Barcode.code).where(Barcode.product_id == product_id)
                             .order_by(Barcode.id))


def ship_order(channel, number, lines, name, phone):
    """Take an order of [(sku, qty)] from intake to handed over (交接), through the same
    services the screens call, and return it. Its wave plans only this order (it has
    the highest priority; other waiting orders are allocated, not planned)."""
    address = {"name": name, "phone": phone, "line1": "88 Wensan Road", "city": "Hangzhou",
               "province": "Zhejiang", "postcode": "310000"}
    products = {p.sku: p for p in db.session.scalars(
        select(Product).where(Product.sku.in_([sku for sku, _qty in lines])))}
    result = intake({"channel": channel, "order_no": number, "priority": MAX_PRIORITY,
                     "address": address,
                     "lines": [{"sku": s, "quantity": q,
                                "unit_price": demo_price(products[s]) if s in products else None}
                               for s, q in lines]})
    if result.outcome != "created":
        raise ValueError(f"demo order {number}: {result.problems}")
    wave = Wave(params_json=json.dumps({"max_orders": 1, "max_lines": 50,
                                        "min_priority": MAX_PRIORITY}))
    db.session.add(wave)
    db.session.flush()
    run_wave(wave)
    order = db.session.get(Order, result.order_id)
    _pick(order, _person("picker"))
    for line in order.lines:
        for _unit in range(line.quantity):
            packing.verify_scan(order.id, _code(line.product_id), user_id=_person("packer"))
    shipment = packing.pack(order.id, [_BOX], _person("packer"))
    booking.book(shipment.id, render_label)
    handoff.add_shipment(shipment.id)
    manifest = handoff.open_manifest(order.carrier)
    for parcel in shipment.parcels:
        handoff.scan(manifest.id, parcel.tracking_number, _person("courier"))
    hand_over(manifest.id, _person("packer"), _COURIER,
              {"warehouse_name": "张仓管", "warehouse_svg": _SIGNATURE,
               "courier_svg": _SIGNATURE})
    db.session.flush()
    db.session.refresh(order)
    return order


def _pick(order, picker_id):
    """Walk the order's pick list the right way."""
    list_id = db.session.scalar(select(PickTask.pick_list_id).where(
        PickTask.order_id == order.id))
    picking.start_list(list_id, picker_id)
    pick_list = db.session.get(PickList, list_id)
    while (task := picking.current_task(pick_list)) is not None:
        picking.scan(list_id, picker_id, task.location.code)
        for _unit in range(task.quantity - task.picked_qty):
            picking.scan(list_id, picker_id, _code(task.product_id))


def seed_returns(products):
    """Three shipped orders; a return awaiting arrival and one inspected (a unit passed
    and put away, one failed into 残品库) waiting for customer service's refund. The
    third order has no return yet: find it by phone 13800138003 and open one."""
    service, receiver = _person("customer_service"), _person("receiver")
    first = ship_order("tmall", "990001", [(products[0].sku, 2)], "王芳", "13800138001")
    second = ship_order("jd", "990002", [(products[1].sku, 1), (products[2].sku, 1)],
                        "刘洋", "13800138002")
    ship_order("tmall", "990003", [(products[3].sku, 2)], "陈静", "13800138003")
    awaited = services.open_return(first.id, service, {first.lines[0].id: 1},
                                   reason="damaged_in_transit", resolution="exchange")
    services.label_sent(awaited.id, service)
    inspected = services.open_return(second.id, service,
                                     {line.id: 1 for line in second.lines},
                                     reason="not_as_described", resolution="refund")
    dock.scan(inspected.id, receiver, _code(second.lines[0].product_id))
    dock.scan(inspected.id, receiver, _code(second.lines[1].product_id), outcome="fail",
              reason="damaged", note="screen cracked")
    run = dock.finish(inspected.id, receiver)
    putaway.plan(run)
    db.session.flush()
    return 2
