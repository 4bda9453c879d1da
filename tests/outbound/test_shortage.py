"""Stock that matches the shelf (issue 9): a short pick blocks the bin until counted and
the shortfall is picked elsewhere; a cancel mid-task puts the cart's units back and
tells the picker. On SQLite and PostgreSQL."""
import pytest
from sqlalchemy import select

from outbound_support import barcode_of, level, skus_by_bins, walk_task
from webapp.catalog.blocks import BlockError, active_block, blocks_at, clear_block
from webapp.catalog.models import LocationBlock, StockLevel
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.orders.models import Order, OrderException, OrderLine
from webapp.orders.services import cancel_order
from webapp.picking import services as picking
from webapp.picking.allocation import allocate_order
from webapp.picking.models import PickList, PickTask, Reservation
from webapp.picking.shortage import short_pick
from outbound_support import order_payload


def fresh(list_id):
    """The list's current task, read afresh."""
    db.session.flush()
    db.session.expire_all()
    return picking.current_task(db.session.get(PickList, list_id))


@pytest.fixture
def walking_one(warehouse, make_planned, user_id):
    """(order_id, list_id, picker, task): one order of 3 units of a product held in two
    bins or more, its list started, its first task current."""
    (sku,) = skus_by_bins(1, -2, min_qty=3)
    (order_id,) = make_planned([[(sku, 3)]])
    list_id = db.session.scalar(select(PickList.id))
    picker = user_id("picker")
    picking.start_list(list_id, picker)
    db.session.commit()
    return order_id, list_id, picker, fresh(list_id)


def test_location_empty_blocks_the_bin_and_picks_the_rest_elsewhere(walking_one, user_id):
    order_id, list_id, picker, task = walking_one
    bin_id, product_id = task.location_id, task.product_id
    before = level(product_id, bin_id)
    outcome = short_pick(list_id, task.id, picker, "empty")
    db.session.commit()
    assert outcome.ok and "more to pick at" in outcome.message, outcome.message

    block = active_block(bin_id, product_id)
    assert (block.reason, block.created_by_id, block.source) == ("empty", picker,
                                                                f"pick-task:{task.id}")
    assert block.created_at is not None and block.cleared_at is None
    # The book quantity stays until counted; nothing of it is reserved any more.
    assert level(product_id, bin_id) == (before[0], 0)

    # The 3 units are reserved at other bins and added to this very list.
    added = db.session.scalars(select(PickTask).where(
        PickTask.pick_list_id == list_id, PickTask.status == "pending")).all()
    assert sum(t.quantity for t in added) == 3
    assert all(t.location_id != bin_id and t.kind == "pick" for t in added)
    assert fresh(list_id).id == added[0].id
    for new in added:
        walk_task(list_id, picker, fresh(list_id))
    db.session.commit()
    assert db.session.get(Order, order_id).status == "picked"
    assert db.session.get(OrderLine, added[0].order_line_id).picked_qty == 3
    (note,) = db.session.scalars(select(OrderException.message).where(
        OrderException.order_id == order_id, OrderException.kind == "short_pick")).all()
    assert "blocked until counted" in note and "re-allocated 3 at" in note
    assert ledger_mismatches() == []


def test_the_next_order_never_reserves_a_blocked_bin(walking_one, user_id):
    """37 units stayed at A-01-06-4 and the next wave sent a picker back there: no more."""
    order_id, list_id, picker, task = walking_one
    short_pick(list_id, task.id, picker, "empty")
    db.session.commit()
    free_there = db.session.scalar(select(StockLevel.quantity - StockLevel.reserved).where(
        StockLevel.product_id == task.product_id, StockLevel.location_id == task.location_id))
    assert free_there >= 3  # on the books, free, and still not offered
    result = intake(order_payload(7001, [(task.product.sku, 1)]))
    db.session.commit()
    assert allocate_order(result.order_id) == "allocated"
    db.session.commit()
    held = db.session.scalars(select(Reservation.location_id).where(
        Reservation.active.is_(True), Reservation.product_id == task.product_id)).all()
    assert held and task.location_id not in held

    # A count clears the block (who, when, why); then the bin is offered again.
    supervisor = user_id("supervisor")
    with pytest.raises(BlockError):
        clear_block(task.location_id, supervisor, "  ")
    assert clear_block(task.location_id, supervisor, "counted: 0 found") == 1
    db.session.commit()
    assert blocks_at(task.location_id) == []
    cleared = db.session.scalar(select(LocationBlock).where(
        LocationBlock.location_id == task.location_id))
    assert (cleared.cleared_by_id, cleared.cleared_note) == (supervisor, "counted: 0 found")


def test_a_short_pick_with_no_other_bin_ends_the_order_short(warehouse, make_planned, user_id):
    (sku,) = skus_by_bins(1, 1, min_qty=3)
    (order_id,) = make_planned([[(sku, 2)]])
    list_id = db.session.scalar(select(PickList.id))
    picker = user_id("picker")
    picking.start_list(list_id, picker)
    task = fresh(list_id)
    outcome = short_pick(list_id, task.id, picker, "empty")
    db.session.commit()
    assert outcome.ok and outcome.message == "Short pick recorded." and outcome.finished
    assert db.session.get(Order, order_id).status == "short"
    assert active_block(task.location_id, task.product_id) is not None


def test_cancelling_an_order_midway_puts_the_cart_units_back_and_tells_the_picker(
        walking_one, user_id):
    order_id, list_id, picker, task = walking_one
    before = level(task.product_id, task.location_id)
    assert picking.scan(list_id, picker, task.location.code).ok
    assert picking.scan(list_id, picker, barcode_of(task.product_id)).ok  # 1 of 3
    db.session.commit()
    cancel_order(order_id, user_id("supervisor"), "customer called")
    db.session.commit()
    # On the books the scanned unit is in the cart (staging); nothing stays reserved.
    assert level(task.product_id, task.location_id) == (before[0] - 1, 0)
    putback = db.session.scalar(select(PickTask).where(PickTask.kind == "putback"))
    assert (putback.quantity, putback.location_id, putback.pick_list_id) == (
        1, task.location_id, list_id)

    # The picker's next scan (meant for the cancelled task) brings the notice, uncounted.
    outcome = picking.scan(list_id, picker, barcode_of(task.product_id))
    db.session.commit()
    assert not outcome.ok
    order = db.session.get(Order, order_id)
    assert outcome.message == (f"Order {order.number} was cancelled: put back what you "
                               "picked for it. That scan was not counted.")
    assert outcome.task.id == putback.id
    # Then the putback walks like a task: the location, the unit, back on the shelf.
    walk_task(list_id, picker, fresh(list_id))
    db.session.commit()
    assert level(task.product_id, task.location_id) == (before[0], 0)
    assert db.session.get(PickList, list_id).status == "done"
    assert ledger_mismatches() == []


def test_cancelling_an_untouched_order_tells_the_picker_once(warehouse, make_planned,
                                                            user_id):
    sku_a, sku_b = skus_by_bins(2, -1, min_qty=2)
    first_id, second_id = make_planned([[(sku_a, 1)], [(sku_b, 1)]])
    list_id = db.session.scalar(select(PickList.id))
    picker = user_id("picker")
    picking.start_list(list_id, picker)
    db.session.commit()
    cancel_order(first_id, user_id("supervisor"))
    db.session.commit()
    assert db.session.scalar(select(PickTask).where(PickTask.kind == "putback")) is None
    task = fresh(list_id)
    assert task.order_id == second_id
    outcome = picking.scan(list_id, picker, task.location.code)
    number = db.session.get(Order, first_id).number
    assert not outcome.ok and outcome.message == (
        f"Order {number} was cancelled: its items are no longer needed. "
        "That scan was not counted.")
    assert not fresh(list_id).location_confirmed
    assert picking.scan(list_id, picker, task.location.code).ok  # once only


def test_cancelling_an_order_in_the_cart_says_its_units_go_back_at_the_end(
        warehouse, make_planned, user_id):
    """Its units are in the cart and other tasks come first: the notice says so, then
    the put-backs come at the end of the walk (seen on a 360 px phone: "no longer
    needed" alone left the picker with units in the cart and nothing said about them)."""
    sku_a, sku_b = skus_by_bins(2, -1, min_qty=2)
    make_planned([[(sku_a, 1)], [(sku_b, 1)]])
    list_id = db.session.scalar(select(PickList.id))
    picker = user_id("picker")
    picking.start_list(list_id, picker)
    walk_task(list_id, picker, fresh(list_id))  # the first order's unit in the cart
    db.session.commit()
    first = db.session.scalar(select(PickTask).where(PickTask.status == "done"))
    cancel_order(first.order_id, user_id("supervisor"))
    db.session.commit()
    task = fresh(list_id)
    outcome = picking.scan(list_id, picker, task.location.code)
    number = db.session.get(Order, first.order_id).number
    assert not outcome.ok and outcome.message == (
        f"Order {number} was cancelled: its items are no longer needed; what you picked "
        "for it goes back at the end of this list. That scan was not counted.")
    walk_task(list_id, picker, fresh(list_id))  # the other order's task
    putback = fresh(list_id)
    assert putback.kind == "putback" and putback.order_id == first.order_id


def test_find_stock_shows_the_blocked_bin_with_who_and_why(walking_one, sign_in, warehouse):
    order_id, list_id, picker, task = walking_one
    short_pick(list_id, task.id, picker, "empty")
    db.session.commit()
    client = sign_in(warehouse.test_client(), "supervisor")
    for code in (barcode_of(task.product_id), task.location.code):
        html = client.get("/lookup", query_string={"code": code},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "Blocked until counted: Location empty, reported by" in html, code


def test_cancel_order_needs_the_confirmation(walking_one, sign_in, warehouse):
    order_id, _list_id, _picker, _task = walking_one
    client = sign_in(warehouse.test_client(), "supervisor")
    refused = client.post(f"/orders/{order_id}/cancel", data={"note": "oops"},
                          follow_redirects=True)
    assert "Nothing was cancelled: confirm the cancellation." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Order, order_id).status != "cancelled"
    client.post(f"/orders/{order_id}/cancel", data={"note": "customer", "confirm": "yes"})
    db.session.expire_all()
    assert db.session.get(Order, order_id).status == "cancelled"
