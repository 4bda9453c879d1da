"""Allocation (库存预留): reservation math, shortages (缺货), concurrent allocators."""

import pytest
from sqlalchemy import select

from outbound_support import (active_reservations_total, level, order_payload, reserved_total,
                              run_in_threads)
from webapp.catalog.models import StockLevel
from webapp.catalog.stock import move_stock
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.orders.models import Order, OrderException
from webapp.picking.allocation import allocate_order, allocate_pending, reserved_for_line
from webapp.picking.models import Reservation


@pytest.fixture
def shelf(any_app, make_catalog):
    """Two storage locations (a, b) and two products (p1, p2), no stock yet; ids only."""
    c = make_catalog()
    return {key: c[key].id for key in ("a", "b", "p1", "p2")}


def stock(shelf, product, location, quantity):
    """Put opening stock on a shelf, through the ledger."""
    move_stock(shelf[product], quantity, reason="opening", to_location_id=shelf[location])
    db.session.commit()


def new_order(number, lines):
    """Take in a valid order; return its id."""
    result = intake(order_payload(number, lines))
    db.session.commit()
    assert result.outcome == "created", result.problems
    return result.order_id


def reservations_of(order_id):
    """(location id, quantity) of the order's active reservations, sorted."""
    order = db.session.get(Order, order_id)
    line_ids = [line.id for line in order.lines]
    return sorted(db.session.execute(select(Reservation.location_id, Reservation.quantity).where(
        Reservation.order_line_id.in_(line_ids), Reservation.active.is_(True))).all())


def test_a_line_is_split_across_locations_when_none_holds_enough(shelf):
    stock(shelf, "p1", "a", 3)
    stock(shelf, "p1", "b", 4)
    order_id = new_order("S1", [("SKU-1", 6)])
    assert allocate_order(order_id) == "allocated"
    db.session.commit()
    # The fuller location first (fewer stops), the rest from the other.
    assert reservations_of(order_id) == sorted([(shelf["b"], 4), (shelf["a"], 2)])
    assert level(shelf["p1"], shelf["b"]) == (4, 4)
    assert level(shelf["p1"], shelf["a"]) == (3, 2)
    line = db.session.get(Order, order_id).lines[0]
    assert reserved_for_line(line.id) == 6


def test_a_location_that_covers_the_line_alone_is_preferred(shelf):
    stock(shelf, "p1", "a", 2)
    stock(shelf, "p1", "b", 5)
    order_id = new_order("C1", [("SKU-1", 4)])
    assert allocate_order(order_id) == "allocated"
    db.session.commit()
    assert reservations_of(order_id) == [(shelf["b"], 4)]  # one stop, not a split
    assert level(shelf["p1"], shelf["a"]) == (2, 0)


def test_of_several_covering_locations_the_tightest_fit_is_taken(shelf):
    stock(shelf, "p1", "a", 9)
    stock(shelf, "p1", "b", 3)
    order_id = new_order("C2", [("SKU-1", 3)])
    allocate_order(order_id)
    db.session.commit()
    # Emptying the small location keeps the big one whole for bigger orders.
    assert reservations_of(order_id) == [(shelf["b"], 3)]


def test_reserved_stock_is_not_offered_twice(shelf):
    stock(shelf, "p1", "a", 5)
    first, second = new_order("R1", [("SKU-1", 4)]), new_order("R2", [("SKU-1", 4)])
    assert allocate_order(first) == "allocated"
    assert allocate_order(second) == "short"
    db.session.commit()
    assert level(shelf["p1"], shelf["a"]) == (5, 4)
    assert reservations_of(second) == []


def test_allocating_an_allocated_order_again_changes_nothing(shelf):
    stock(shelf, "p1", "a", 5)
    order_id = new_order("A1", [("SKU-1", 2)])
    allocate_order(order_id)
    db.session.commit()
    assert allocate_order(order_id) == "allocated"
    db.session.commit()
    assert reservations_of(order_id) == [(shelf["a"], 2)]
    assert level(shelf["p1"], shelf["a"]) == (5, 2)


def test_a_short_order_keeps_nothing_reserved_and_gets_a_short_exception(shelf):
    stock(shelf, "p1", "a", 5)
    stock(shelf, "p2", "b", 1)
    order_id = new_order("SH1", [("SKU-1", 2), ("SKU-2", 3)])
    assert allocate_order(order_id) == "short"
    db.session.commit()
    assert reservations_of(order_id) == []
    assert level(shelf["p1"], shelf["a"]) == (5, 0)  # SKU-1 could be had, but is not held
    assert level(shelf["p2"], shelf["b"]) == (1, 0)
    order = db.session.get(Order, order_id)
    assert order.status == "short"
    (exception,) = db.session.scalars(select(OrderException).where(
        OrderException.order_id == order_id)).all()
    assert exception.kind == "short" and exception.resolved_at is None
    assert "SKU-2: 2 of 3 not available" in exception.message
    assert "SKU-1" not in exception.message
    assert (order.events[-1].from_status, order.events[-1].to_status) == ("new", "short")

    # Stock arrives: the next allocation run takes the order.
    stock(shelf, "p2", "a", 2)
    assert allocate_pending() == {"allocated": 1, "short": 0}
    db.session.expire_all()
    assert db.session.get(Order, order_id).status == "allocated"
    assert sum(q for _loc, q in reservations_of(order_id)) == 5
    assert reserved_total() == active_reservations_total() == 5


def test_allocate_pending_takes_urgent_orders_first(shelf):
    stock(shelf, "p1", "a", 3)
    low = new_order("LOW", [("SKU-1", 3)])
    high = intake(order_payload("HIGH", [("SKU-1", 3)], priority=5)).order_id
    db.session.commit()
    assert allocate_pending() == {"allocated": 1, "short": 1}
    db.session.expire_all()
    assert db.session.get(Order, high).status == "allocated"
    assert db.session.get(Order, low).status == "short"


# ---------------------------------------------------------------- concurrency
def assert_levels_consistent():
    """reserved never exceeds quantity, and equals the sum of active reservations."""
    db.session.expire_all()
    for row in db.session.scalars(select(StockLevel)):
        assert 0 <= row.reserved <= row.quantity, (row.product_id, row.location_id)
    assert reserved_total() == active_reservations_total()


def test_concurrent_allocations_never_reserve_more_than_is_on_hand(shelf, any_app):
    stock(shelf, "p1", "a", 10)
    ids = [new_order(f"CC{n}", [("SKU-1", 3)]) for n in range(8)]
    jobs = [lambda order_id=order_id: allocate_order(order_id) for order_id in ids]
    assert run_in_threads(any_app, jobs) == []
    statuses = [db.session.get(Order, order_id).status for order_id in ids]
    assert statuses.count("allocated") == 3 and statuses.count("short") == 5
    assert level(shelf["p1"], shelf["a"]) == (10, 9)
    assert_levels_consistent()


def test_concurrent_allocations_across_two_locations(shelf, any_app):
    stock(shelf, "p1", "a", 5)
    stock(shelf, "p1", "b", 5)
    ids = [new_order(f"CL{n}", [("SKU-1", 3)]) for n in range(8)]
    jobs = [lambda order_id=order_id: allocate_order(order_id) for order_id in ids]
    assert run_in_threads(any_app, jobs) == []
    allocated = [i for i in ids if db.session.get(Order, i).status == "allocated"]
    assert 2 <= len(allocated) <= 3  # 3 + 3 + (2 + 1 split) at best
    for order_id in allocated:
        assert sum(q for _loc, q in reservations_of(order_id)) == 3
    assert reserved_total() == 3 * len(allocated) <= 10
    assert_levels_consistent()


def test_concurrent_allocations_of_orders_with_crossing_lines(shelf, any_app):
    """Orders listing the same two SKUs in opposite orders must not deadlock each other."""
    stock(shelf, "p1", "a", 100)
    stock(shelf, "p2", "b", 100)
    ids = [new_order(f"X{n}", [("SKU-1", 1), ("SKU-2", 1)] if n % 2 else
                     [("SKU-2", 1), ("SKU-1", 1)]) for n in range(16)]
    jobs = [lambda order_id=order_id: allocate_order(order_id) for order_id in ids]
    assert run_in_threads(any_app, jobs) == []
    assert {db.session.get(Order, i).status for i in ids} == {"allocated"}
    assert level(shelf["p1"], shelf["a"]) == (100, 16)
    assert level(shelf["p2"], shelf["b"]) == (100, 16)
    assert_levels_consistent()
