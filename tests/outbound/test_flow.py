"""The whole outbound path at service level: intake, wave, pick, verify, pack, book."""
import json

from sqlalchemy import select

from webapp.catalog.models import Barcode
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.packing import booking
from webapp.packing import services as packing
from webapp.packing.carriers import s10_valid
from webapp.packing.documents import render_label
from webapp.picking import services as picking
from webapp.picking.models import PickList


def barcode_of(product_id):
    """The first barcode of a product."""
    return db.session.scalar(select(Barcode.code).where(Barcode.product_id == product_id))


def pick_whole_list(list_id, picker_id):
    """Walk a list the right way: location, then each unit."""
    picking.start_list(list_id, picker_id)
    pick_list = db.session.get(PickList, list_id)
    while (task := picking.current_task(pick_list)) is not None:
        assert picking.scan(list_id, picker_id, task.location.code).ok
        for _ in range(task.quantity):
            outcome = picking.scan(list_id, picker_id, barcode_of(task.product_id))
            assert outcome.ok, outcome.message
    db.session.commit()


def test_wave_plans_all_orders_into_routed_lists(planned):
    result = json.loads(planned.result_json)
    lists = db.session.scalars(select(PickList)).all()
    assert result["orders"] == 4 and result["lists"] == len(lists) == 2
    assert result["distance_m"] <= result["s_shape_m"]
    for pick_list in lists:
        slots = {t.order_id: t.cart_slot for t in pick_list.tasks}
        assert len(set(slots.values())) == len(slots)  # one slot per order
    assert ledger_mismatches() == []


def test_pick_verify_pack_book(planned, user_id):
    picker, packer = user_id("picker"), user_id("packer")
    for pick_list in db.session.scalars(select(PickList)).all():
        pick_whole_list(pick_list.id, picker)
    orders = db.session.scalars(select(Order)).all()
    assert {o.status for o in orders} == {"picked"}
    order = orders[0]
    assert packing.find_order(packing.order_barcode(order)).id == order.id
    for line in order.lines:
        for _ in range(line.quantity):
            assert packing.verify_scan(order.id, barcode_of(line.product_id)).ok
    refused = packing.verify_scan(order.id, barcode_of(order.lines[0].product_id))
    assert not refused.ok  # over-scan
    shipment = packing.pack(order.id, [{"weight_g": "850", "length_mm": "300",
                                        "width_mm": "200", "height_mm": "100"}], packer)
    db.session.commit()
    booking.book(shipment.id, render_label)
    db.session.commit()
    number = shipment.parcels[0].tracking_number
    assert s10_valid(number) and number in shipment.parcels[0].label_svg
    assert order.status == "packed"
    assert ledger_mismatches() == []
