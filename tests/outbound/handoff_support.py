"""Helpers for the handoff tests: orders picked, verified, packed and booked."""
from sqlalchemy import select

from outbound_support import barcode_of, pick_whole_list, stocked_skus
from webapp.extensions import db
from webapp.handoff.services import add_shipment
from webapp.orders.models import Order
from webapp.packing import booking
from webapp.packing import services as packing
from webapp.packing.documents import render_label
from webapp.packing.models import Shipment
from webapp.picking.models import PickTask

# A drawing as signature_pad's toSVG() writes it: a stroke and a dot.
DRAWING = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 336 176" width="336" '
           'height="176"><path d="M 20.000,40.000 C 25.100,42.300 30.000,45.000 35.500,50.250" '
           'stroke-width="3.120" stroke="#0d1117" fill="none" stroke-linecap="round"></path>'
           '<circle r="2" cx="100" cy="60" fill="#0d1117"></circle></svg>')
SIGNED = {"warehouse_name": "张仓管", "warehouse_svg": DRAWING, "courier_svg": DRAWING}
BOX = {"weight_g": "850", "length_mm": "300", "width_mm": "200", "height_mm": "100"}


def pick_and_verify(make_planned, user_id, count):
    """`count` one-line orders, picked and fully verified; their ids."""
    skus = stocked_skus(count, min_qty=1)
    ids = make_planned([[(sku, 1)] for sku in skus], max_orders=count)
    lists = set(db.session.scalars(select(PickTask.pick_list_id)
                                   .where(PickTask.order_id.in_(ids))))
    for list_id in lists:
        pick_whole_list(list_id, user_id("picker"))
    for order_id in ids:
        order = db.session.get(Order, order_id)
        for line in order.lines:
            assert packing.verify_scan(order.id, barcode_of(line.product_id)).ok
    db.session.commit()
    return ids


def pack(order_id, user_id, parcels=1):
    """Pack an order into `parcels` boxes (not booked yet); the shipment."""
    shipment = packing.pack(order_id, [BOX] * parcels, user_id("packer"))
    db.session.commit()
    return shipment


def book_in_process(shipment_id):
    """What the packing job does, in this process: book, label, join the manifest."""
    booking.book(shipment_id, render_label)
    add_shipment(shipment_id)
    db.session.commit()
    return db.session.get(Shipment, shipment_id)


def packed_and_booked(make_planned, user_id, count, parcels=1):
    """`count` orders packed and booked; their tracking numbers, in order."""
    numbers = []
    for order_id in pick_and_verify(make_planned, user_id, count):
        shipment = book_in_process(pack(order_id, user_id, parcels).id)
        numbers += [p.tracking_number for p in shipment.parcels]
    return numbers
