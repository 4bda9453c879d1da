"""The order state machine, and cancelling an order while it is being picked."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from outbound_support import (active_reservations_total, barcode_of, level, pick_whole_list,
                              reserved_total, stocked_skus, walk_task)
from webapp.accounts.services import create_user
from webapp.catalog.models import Product, StockLevel
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.orders import services
from webapp.orders.models import ORDER_STATES, Order, OrderEvent, OrderException
from webapp.orders.states import TransitionError, can_transition, transition
from webapp.picking import services as picking
from webapp.picking.models import PickList, PickTask, Reservation
from webapp.picking.services import staging_location_id
from webapp.timeutil import utcnow

# The allowed moves, written out here and not read from webapp/orders/states.py (the
# table under test): an order that may jump from new to packed must fail this file.
ALLOWED = sorted([
    ("new", "allocated"), ("new", "short"), ("new", "on_hold"), ("new", "cancelled"),
    ("on_hold", "new"), ("on_hold", "cancelled"),
    ("short", "allocated"), ("short", "on_hold"), ("short", "cancelled"), ("short", "new"),
    ("allocated", "picking"), ("allocated", "new"), ("allocated", "on_hold"),
    ("allocated", "cancelled"),
    ("picking", "picked"), ("picking", "short"), ("picking", "cancelled"),
    ("picked", "packed"), ("picked", "cancelled"),
    ("packed", "handed_over"),
    # Cancelled before handoff: booking withdrawn, parcels kept back, supervisor told.
    ("packed", "cancelled"),
])
STATES = ("new", "on_hold", "short", "allocated", "picking", "picked", "packed", "handed_over",
          "cancelled")
FORBIDDEN = sorted((src, dst) for src in STATES for dst in STATES if (src, dst) not in ALLOWED)


@pytest.fixture
def person(any_app):
    """A supervisor's user id."""
    user = create_user("states-supervisor", "pw-123456", ["supervisor"])
    db.session.commit()
    return user.id


def order_in(status, number):
    """A bare order already in `status`."""
    order = Order(channel="shop", channel_order_no=str(number), status=status)
    db.session.add(order)
    db.session.flush()
    return order


def test_the_machine_knows_every_state(any_app):
    assert sorted(ORDER_STATES) == sorted(STATES)
    for number, state in enumerate(("cancelled", "handed_over")):  # final: nothing leads on
        order = order_in(state, f"F{number}")
        assert [dst for dst in STATES if can_transition(order, dst)] == []


def test_every_allowed_transition_is_recorded_with_who_and_when(any_app, person):
    started = utcnow() - timedelta(seconds=1)
    for number, (src, dst) in enumerate(ALLOWED):
        order = order_in(src, number)
        assert can_transition(order, dst)
        transition(order, dst, person, f"{src} to {dst}")
        assert order.status == dst
    db.session.commit()
    events = db.session.scalars(select(OrderEvent).order_by(OrderEvent.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == ALLOWED
    for event in events:
        assert event.user_id == person
        assert event.note == f"{event.from_status} to {event.to_status}"
        created = event.created_at
        if created.tzinfo is None:  # SQLite keeps no zone; the app writes UTC
            created = created.replace(tzinfo=started.tzinfo)
        assert created >= started
    reloaded = db.session.get(Order, events[0].order_id)
    assert reloaded.status == events[0].to_status and len(reloaded.events) == 1


def test_every_forbidden_transition_raises_and_records_nothing(any_app, person):
    assert len(FORBIDDEN) + len(ALLOWED) == len(ORDER_STATES) ** 2
    for number, (src, dst) in enumerate(FORBIDDEN):
        order = order_in(src, number)
        assert not can_transition(order, dst), (src, dst)
        with pytest.raises(TransitionError, match=f"from {src} to {dst}"):
            transition(order, dst, person)
        assert order.status == src
    db.session.commit()
    assert db.session.scalars(select(OrderEvent)).all() == []
    assert {o.status for o in db.session.scalars(select(Order))} == {s for s, _d in FORBIDDEN}


def test_packed_cannot_go_back_and_cancelled_is_final(any_app, person):
    packed, cancelled = order_in("packed", "P1"), order_in("cancelled", "C1")
    handed = order_in("handed_over", "H1")
    for dst in ("picking", "picked", "allocated", "new"):
        with pytest.raises(TransitionError):
            transition(packed, dst, person)
    for dst in ORDER_STATES:
        with pytest.raises(TransitionError):
            transition(cancelled, dst, person)
        with pytest.raises(TransitionError):
            transition(handed, dst, person)
    # Once the courier has it, cancelling is after-sales work, not a state change.
    with pytest.raises(services.OrderError, match="can no longer be cancelled"):
        services.cancel_order(handed.id, person)


# ---------------------------------------------------------------- cancel while picking
@pytest.fixture
def two_orders_one_list(warehouse, make_planned, user_id):
    """Orders A (two lines) and B (one line), distinct SKUs, on one list started by the picker.

    Returns (list_id, order_a_id, order_b_id, start_levels) with start_levels the
    (quantity, reserved) of every storage level the list touches and of staging,
    taken before the wave reserved anything.
    """
    sku_a1, sku_a2, sku_b = stocked_skus(3, min_qty=5)
    products = db.session.scalars(select(Product.id).where(
        Product.sku.in_([sku_a1, sku_a2, sku_b]))).all()
    before = {(r.product_id, r.location_id): (r.quantity, r.reserved) for r in
              db.session.scalars(select(StockLevel).where(StockLevel.product_id.in_(products)))}
    a_id, b_id = make_planned([[(sku_a1, 2), (sku_a2, 3)], [(sku_b, 1)]])
    (pick_list,) = db.session.scalars(select(PickList)).all()
    picking.start_list(pick_list.id, user_id("picker"))
    db.session.commit()
    return pick_list.id, a_id, b_id, before


def tasks_of(order_id, kind="pick"):
    """The tasks of an order, by sequence."""
    return db.session.scalars(select(PickTask).where(PickTask.order_id == order_id,
                                                     PickTask.kind == kind)
                              .order_by(PickTask.sequence)).all()


def test_cancel_while_picking_frees_stock_and_routes_picked_units_back(
        two_orders_one_list, user_id):
    list_id, a_id, b_id, start = two_orders_one_list
    picker, supervisor = user_id("picker"), user_id("supervisor")
    pick_list = db.session.get(PickList, list_id)
    # Pick the list up to and including A's first task; A's second task stays pending.
    first_a = tasks_of(a_id)[0]
    while (task := picking.current_task(pick_list)) is not None:
        walk_task(list_id, picker, task)
        if task.id == first_a.id:
            break
    db.session.commit()
    assert db.session.get(Order, a_id).status == "picking"
    a_reserved = db.session.scalar(select(Reservation.quantity).where(
        Reservation.id == tasks_of(a_id)[1].reservation_id))

    reserved_before = reserved_total()
    services.cancel_order(a_id, supervisor, "customer changed their mind")
    db.session.commit()

    order = db.session.get(Order, a_id)
    assert order.status == "cancelled"
    event = order.events[-1]
    assert (event.from_status, event.to_status, event.user_id) == (
        "picking", "cancelled", supervisor)
    picked_task, pending_task = tasks_of(a_id)
    assert picked_task.status == "done" and pending_task.status == "cancelled"
    # The pending task's reservation is released; none of A's reservations stay active.
    assert reserved_total() == reserved_before - a_reserved
    assert reserved_total() == active_reservations_total()
    assert services.active_reservations(a_id) == 0
    # The units already picked go back: a putback task on the picker's own list.
    (putback,) = tasks_of(a_id, kind="putback")
    assert putback.pick_list_id == list_id and putback.status == "pending"
    assert db.session.get(PickList, list_id).picker_id == picker
    assert (putback.location_id, putback.product_id, putback.quantity) == (
        picked_task.location_id, picked_task.product_id, picked_task.picked_qty)
    assert putback.sequence > max(t.sequence for t in pick_list.tasks if t.kind == "pick")
    kinds = [e.kind for e in db.session.scalars(select(OrderException).where(
        OrderException.order_id == a_id))]
    assert kinds == ["cancelled_in_pick"]

    # The picker walks on: B's task, then the putback (location, then item).
    db.session.expire_all()
    pick_list = db.session.get(PickList, list_id)
    while (task := picking.current_task(pick_list)) is not None and task.kind == "pick":
        walk_task(list_id, picker, task)
    task = picking.current_task(pick_list)
    assert task.id == putback.id
    staging = staging_location_id()
    assert level(putback.product_id, staging)[0] == putback.quantity
    wrong = picking.scan(list_id, picker, barcode_of(tasks_of(b_id)[0].product_id))
    assert not wrong.ok
    assert picking.scan(list_id, picker, task.location.code).ok
    for _ in range(putback.quantity):
        assert picking.scan(list_id, picker, barcode_of(putback.product_id)).ok
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(PickTask, putback.id).status == "done"
    pick_list = db.session.get(PickList, list_id)
    assert pick_list.status == "done"
    assert db.session.get(Order, b_id).status == "picked"
    assert db.session.get(Order, a_id).status == "cancelled"
    assert ledger_mismatches() == []
    # Every level of A's products is back where it started; nothing of A is in staging.
    for task in tasks_of(a_id):
        key = (task.product_id, task.location_id)
        assert level(*key) == start[key]
        assert level(task.product_id, staging) == (0, 0)
    assert reserved_total() == active_reservations_total() == 0


def test_cancelling_the_last_unfinished_order_of_a_list_closes_the_list(
        two_orders_one_list, user_id):
    list_id, a_id, b_id, _start = two_orders_one_list
    picker = user_id("picker")
    pick_list = db.session.get(PickList, list_id)
    # Pick all of B; A's tasks are all still pending.
    while (task := picking.current_task(pick_list)) is not None:
        if task.order_id == b_id:
            walk_task(list_id, picker, task)
        else:
            break
    pending_b = [t for t in tasks_of(b_id) if t.status == "pending"]
    if pending_b:  # B comes after A on the route: pick B by its task id, as a device would
        for task in pending_b:
            picking.scan(list_id, picker, task.location.code, task_id=task.id)
            for _ in range(task.quantity):
                picking.scan(list_id, picker, barcode_of(task.product_id), task_id=task.id)
    db.session.commit()
    assert all(t.status == "done" for t in tasks_of(b_id))

    services.cancel_order(a_id, user_id("supervisor"))
    db.session.commit()
    db.session.expire_all()
    # Nothing of A was picked: no putback, and nothing is left to walk on this list.
    assert tasks_of(a_id, kind="putback") == []
    pick_list = db.session.get(PickList, list_id)
    assert picking.current_task(pick_list) is None
    assert pick_list.status == "done"
    assert db.session.get(Order, b_id).status == "picked"
    assert reserved_total() == active_reservations_total() == 0


def test_cancelling_before_the_list_is_started_leaves_no_empty_list(warehouse, make_planned,
                                                                     user_id):
    (sku,) = stocked_skus(1)
    (order_id,) = make_planned([[(sku, 1)]])
    (pick_list,) = db.session.scalars(select(PickList)).all()
    assert db.session.get(Order, order_id).status == "allocated"
    services.cancel_order(order_id, user_id("supervisor"))
    db.session.commit()
    db.session.expire_all()
    assert reserved_total() == 0
    assert all(t.status == "cancelled" for t in tasks_of(order_id))
    # A list with nothing left to pick is not offered to pickers.
    assert picking.lists_for(user_id("picker")) == []
    assert db.session.get(PickList, pick_list.id).status == "cancelled"


def test_cancelling_a_picked_order_puts_its_units_back_from_packing(warehouse, make_planned,
                                                                    user_id):
    sku_a, sku_b = stocked_skus(2)
    (order_id,) = make_planned([[(sku_a, 2), (sku_b, 1)]])
    (pick_list,) = db.session.scalars(select(PickList)).all()
    pick_whole_list(pick_list.id, user_id("picker"))
    assert db.session.get(Order, order_id).status == "picked"
    services.cancel_order(order_id, user_id("supervisor"))
    db.session.commit()
    putbacks = tasks_of(order_id, kind="putback")
    assert sorted(t.quantity for t in putbacks) == [1, 2]
    (back_list,) = {t.pick_list for t in putbacks}
    assert back_list.id != pick_list.id and back_list.status == "open"
    assert back_list.picker_id is None
    # Another picker takes the putback list and walks it.
    other = create_user("picker-2", "pw-123456", ["picker"]).id
    db.session.commit()
    picking.start_list(back_list.id, other)
    while (task := picking.current_task(back_list)) is not None:
        walk_task(back_list.id, other, task)
    db.session.commit()
    assert back_list.status == "done"
    assert level(putbacks[0].product_id, staging_location_id())[0] == 0
    assert ledger_mismatches() == []
