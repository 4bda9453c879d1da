"""A short pick when the books no longer show the units already in the cart (a write-off
the picker did not see): the counted units stay picked, the rest is short, the bin is
blocked and counted, and packing and the next wave see an honest order. Both databases."""
import json

import pytest
from sqlalchemy import select

from outbound_support import PACK_BOX, barcode_of, level, skus_by_bins, walk_task
from stock_support import write_off
from webapp.catalog.blocks import active_block
from webapp.catalog.models import Location, StockLevel, StockMovement
from webapp.catalog.stock import ledger_mismatches, move_stock
from webapp.counts import services as counting
from webapp.counts.models import CountTask
from webapp.extensions import db
from webapp.orders.messages import understood
from webapp.orders.models import Order, OrderException, OrderLine
from webapp.packing import services as packing
from webapp.picking import services as picking
from webapp.picking.models import PickList, PickTask, Reservation, Wave
from webapp.picking.services import staging_location_id
from webapp.picking.shortage import short_pick
from webapp.picking.waves import run_wave

def current(list_id):
    """The list's current task, read afresh."""
    db.session.flush()
    db.session.expire_all()
    return picking.current_task(db.session.get(PickList, list_id))


def counted_then_written_off(make_planned, user_id, bins, counted):
    """An order of 3 units of a product held in `bins` bins; its first task has
    `counted` units in the cart when the books lose the bin. Returns (order id, list id,
    picker, task)."""
    (sku,) = skus_by_bins(1, bins, min_qty=3)
    (order_id,) = make_planned([[(sku, 3)]])
    list_id = db.session.scalar(select(PickTask.pick_list_id).where(PickTask.order_id == order_id))
    picker = user_id("picker")
    picking.start_list(list_id, picker)
    task = current(list_id)
    assert picking.scan(list_id, picker, task.location.code).ok
    for _ in range(counted):
        assert picking.scan(list_id, picker, barcode_of(task.product_id)).ok
    write_off(task)
    db.session.commit()
    assert level(task.product_id, task.location_id) == (0, 0)
    return order_id, list_id, picker, current(list_id)


def pack_it(order_id, packer):
    """Find the order at the bench, verify every unit, pack it; return the order."""
    order = packing.find_order(packing.order_barcode(db.session.get(Order, order_id)))
    assert [(r["expected"], r["scanned"]) for r in packing.expected_vs_scanned(order)] == [(3, 0)]
    for _ in range(3):
        outcome = packing.verify_scan(order.id, barcode_of(order.lines[0].product_id))
        assert outcome.ok, outcome.message
    packing.pack(order.id, [PACK_BOX], packer)
    db.session.commit()
    return order


def next_wave():
    """Plan a wave over the orders waiting now (the supervisor's next wave)."""
    wave = Wave(params_json=json.dumps({"max_orders": 10, "max_lines": 100}))
    db.session.add(wave)
    db.session.commit()
    run_wave(wave)
    db.session.commit()
    return wave


def posted(task):
    """(reason, from, to, quantity) of the ledger lines the task wrote, in order."""
    return db.session.execute(select(
        StockMovement.reason, StockMovement.from_location_id, StockMovement.to_location_id,
        StockMovement.quantity).where(StockMovement.source == f"pick-task:{task.id}")
        .order_by(StockMovement.id)).all()


def test_the_counted_units_stay_picked_and_the_rest_is_picked_elsewhere(
        warehouse, make_planned, user_id):
    order_id, list_id, picker, task = counted_then_written_off(make_planned, user_id, -2, 1)
    staging = staging_location_id()
    in_cart_before = level(task.product_id, staging)[0]

    outcome = short_pick(list_id, task.id, picker, "empty")
    db.session.commit()
    assert outcome.ok and "2 more to pick at" in outcome.message, outcome.message

    db.session.expire_all()
    done = db.session.get(PickTask, task.id)
    assert (done.status, done.picked_qty, done.short_reason) == ("short", 1, "empty")
    assert db.session.get(OrderLine, task.order_line_id).picked_qty == 1
    # The unit in hand is on the books in the packing area, posted back to the bin first.
    assert posted(task) == [("adjustment", None, task.location_id, 1),
                            ("pick", task.location_id, staging, 1)]
    assert level(task.product_id, staging)[0] == in_cart_before + 1
    assert level(task.product_id, task.location_id) == (0, 0)
    # As any "location empty": the bin is blocked and a count of it raised.
    assert active_block(task.location_id, task.product_id).reason == "empty"
    assert db.session.scalar(select(CountTask.source).where(
        CountTask.location_id == task.location_id, CountTask.status == "open")) \
        == f"pick-task:{task.id}"
    (note,) = db.session.scalars(select(OrderException.message).where(
        OrderException.order_id == order_id, OrderException.kind == "short_pick")).all()
    assert "picked 1 of 3 (empty)" in note and "1 picked units were no longer on the books" \
        in note and understood(note), note
    assert ledger_mismatches() == []

    # The count it raised finds the bin empty: the books agree now, the block is lifted.
    count_id = db.session.scalar(select(CountTask.id).where(
        CountTask.location_id == task.location_id, CountTask.status == "open"))
    counter = user_id("receiver")
    assert counting.scan(count_id, counter, task.location.code).ok
    assert counting.confirm_empty(count_id, counter).ok
    db.session.commit()
    assert db.session.get(CountTask, count_id).status == "closed"
    assert active_block(task.location_id, task.product_id) is None

    # The two missing units are walked at another bin; the order is picked, and packing
    # counts all three and moves them out of the packing area.
    rest = current(list_id)
    assert (rest.quantity, rest.order_id) == (2, order_id) and rest.location_id != task.location_id
    walk_task(list_id, picker, rest)
    db.session.commit()
    assert db.session.get(PickList, list_id).status == "done"
    assert db.session.get(Order, order_id).status == "picked"
    assert pack_it(order_id, user_id("packer")).status == "packed"
    assert level(task.product_id, staging)[0] == in_cart_before
    assert ledger_mismatches() == []


def test_with_no_other_bin_the_order_waits_short_and_the_next_wave_picks_the_rest(
        warehouse, make_planned, user_id):
    order_id, list_id, picker, task = counted_then_written_off(make_planned, user_id, 1, 2)
    in_cart_before = level(task.product_id, staging_location_id())[0]
    outcome = short_pick(list_id, task.id, picker, "damaged")
    db.session.commit()
    assert outcome.ok and outcome.finished and outcome.message == "Short pick recorded."
    order = db.session.get(Order, order_id)
    assert order.status == "short" and order.lines[0].picked_qty == 2
    assert ledger_mismatches() == []

    # Packing does not take a short order, by any of its codes.
    for code in (packing.order_barcode(order), f"PL{list_id}-{task.cart_slot}"):
        with pytest.raises(packing.PackingError, match="not ready for packing"):
            packing.find_order(code)

    # The next wave: the blocked bin is not offered, nothing else holds the product.
    next_wave()
    assert db.session.get(Order, order_id).status == "short"
    assert db.session.scalar(select(Reservation.id).where(Reservation.active.is_(True),
                                                          Reservation.product_id
                                                          == task.product_id)) is None

    # Stock arrives in another bin: the wave after reserves only the missing unit there.
    other = db.session.scalar(select(Location.id).where(
        Location.type == "storage", Location.id != task.location_id,
        ~Location.id.in_(select(StockLevel.location_id).where(
            StockLevel.product_id == task.product_id))).order_by(Location.id))
    move_stock(task.product_id, 5, reason="receipt", to_location_id=other, source="test")
    db.session.commit()
    next_wave()
    (fresh,) = db.session.scalars(select(PickTask).where(
        PickTask.order_id == order_id, PickTask.status == "pending")).all()
    assert (fresh.quantity, fresh.location_id) == (1, other)
    picking.start_list(fresh.pick_list_id, picker)
    walk_task(fresh.pick_list_id, picker, fresh)
    db.session.commit()
    assert db.session.get(Order, order_id).status == "picked"
    assert pack_it(order_id, user_id("packer")).status == "packed"
    assert level(task.product_id, staging_location_id())[0] == in_cart_before
    assert ledger_mismatches() == []
