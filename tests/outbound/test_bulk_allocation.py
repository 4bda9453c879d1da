"""Wave allocation in bulk (bulk_allocation) gives the answers of allocate_order per order.

The same random warehouse is played twice, once allocated one order at a time (the old
path, allocation.allocate_one_by_one) and once in bulk (allocate_pending, with chunks
smaller than the wave so chunk borders are crossed), and every answer is compared:
order states, reservations per line, reserved units per level, exceptions, events and
audit entries. Then the invariants that must hold after any allocation.
"""
import random

import pytest
from sqlalchemy import func, select, update

from outbound_support import (active_reservations_total, order_payload, reserved_total,
                              run_in_threads)
from webapp.audit.models import AuditEntry
from webapp.catalog.blocks import block_location, clear_block
from webapp.catalog.models import Barcode, Location, LocationBlock, Product, StockLevel, Warehouse
from webapp.catalog.stock import move_stock
from webapp.demo import ean13
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.orders.models import Order, OrderEvent, OrderException, OrderLine
from webapp.picking import bulk_allocation
from webapp.picking.allocation import allocate_one_by_one, allocate_pending
from webapp.picking.models import Reservation

CUTOFFS = [None, "2026-01-05T12:00:00+00:00", "2026-01-05T17:00:00+00:00"]


def _catalog(tag, rng):
    """14 storage bins (one inactive), a packing table and 7 products, codes tagged."""
    warehouse = Warehouse(code=f"W{tag}", name=tag)
    db.session.add(warehouse)
    db.session.flush()
    bins = [Location(warehouse_id=warehouse.id, code=f"{tag}-{n:02d}", zone="A",
                     aisle=n % 4 + 1, bay=n // 4 + 1, level=1, active=n != 13)
            for n in range(14)]
    packing = Location(warehouse_id=warehouse.id, code=f"{tag}-PACK", type="packing",
                       zone="PACK")
    codes = random.Random(tag)  # barcodes differ between plays of one seed
    products = [Product(sku=f"{tag}-SKU-{n}", name=f"item {n}",
                        barcodes=[Barcode(code=ean13(codes), symbology="ean13")])
                for n in range(7)]
    db.session.add_all([*bins, packing, *products])
    db.session.flush()
    for product in products:
        for location in rng.sample(bins, rng.randint(1, 4)):
            move_stock(product.id, rng.randint(1, 9), reason="opening",
                       to_location_id=location.id)
    move_stock(products[0].id, 50, reason="opening", to_location_id=packing.id)
    db.session.commit()
    return bins, products


def _orders(tag, rng, products, first, count):
    """count orders of 1-3 lines, random priorities and cutoffs."""
    for number in range(first, first + count):
        lines = [(p.sku, rng.randint(1, 5)) for p in rng.sample(products, rng.randint(1, 3))]
        result = intake(order_payload(f"{tag}{number}", lines, priority=rng.randint(0, 2),
                                      cutoff_at=rng.choice(CUTOFFS)))
        assert result.outcome == "created", result.problems
    db.session.commit()


def _block(rng, bins, products, user_id=None):
    """Block a product at one of the bins that hold it."""
    level = rng.choice(db.session.scalars(select(StockLevel).where(
        StockLevel.product_id.in_([p.id for p in products]),
        StockLevel.location_id.in_([b.id for b in bins]))
        .order_by(StockLevel.product_id, StockLevel.location_id)).all())
    block_location(level.location_id, level.product_id, user_id, "empty")
    db.session.commit()


def _answers(tag):
    """Everything allocation decided for the tag's orders, by names free of the tag."""
    plain = lambda text: text.replace(tag, "")  # noqa: E731
    orders = dict(db.session.execute(
        select(Order.channel_order_no, Order.status).where(Order.channel_order_no.like(f"{tag}%"))
    ).all())
    lines = db.session.execute(
        select(Order.channel_order_no, OrderLine.sku, Location.code, Reservation.quantity)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Reservation, Reservation.order_line_id == OrderLine.id)
        .join(Location, Location.id == Reservation.location_id)
        .where(Reservation.active.is_(True), Order.channel_order_no.like(f"{tag}%"))).all()
    levels = db.session.execute(
        select(Product.sku, Location.code, StockLevel.quantity, StockLevel.reserved)
        .join(Product, Product.id == StockLevel.product_id)
        .join(Location, Location.id == StockLevel.location_id)
        .where(Product.sku.like(f"{tag}-%"))).all()
    notes = db.session.execute(
        select(Order.channel_order_no, OrderException.kind, OrderException.message)
        .join(OrderException, OrderException.order_id == Order.id)
        .where(Order.channel_order_no.like(f"{tag}%"))).all()
    events = db.session.execute(
        select(Order.channel_order_no, OrderEvent.from_status, OrderEvent.to_status,
               OrderEvent.note).join(OrderEvent, OrderEvent.order_id == Order.id)
        .where(Order.channel_order_no.like(f"{tag}%"))).all()
    audit = db.session.execute(
        select(Order.channel_order_no, AuditEntry.old_values, AuditEntry.new_values)
        .join(AuditEntry, (AuditEntry.object_id == Order.id)
              & (AuditEntry.object_type == "order") & (AuditEntry.action == "changed"))
        .where(Order.channel_order_no.like(f"{tag}%"))).all()
    return {
        "orders": {plain(k): v for k, v in orders.items()},
        "reservations": sorted((plain(o), plain(s), plain(c), q) for o, s, c, q in lines),
        "levels": sorted((plain(s), plain(c), q, r) for s, c, q, r in levels),
        "exceptions": sorted((plain(o), k, plain(m)) for o, k, m in notes),
        "events": sorted((plain(o), f, t, plain(n)) for o, f, t, n in events),
        "audit": sorted((plain(o), a["status"], b["status"]) for o, a, b in audit
                        if "status" in (b or {})),
    }


def _play(tag, seed, allocate):
    """A random day: stock, a block, orders, allocation; more stock, a cleared block, a
    partly picked short order, more orders, allocation again. Returns both answers."""
    rng = random.Random(seed)
    bins, products = _catalog(tag, rng)
    _block(rng, bins, products)
    _orders(tag, rng, products, 0, 40)
    allocate()
    first = _answers(tag)
    for product in rng.sample(products, 3):
        move_stock(product.id, rng.randint(2, 12), reason="receipt",
                   to_location_id=rng.choice(bins[:13]).id)
    for block in db.session.scalars(select(LocationBlock).where(
            LocationBlock.cleared_at.is_(None))).all():
        clear_block(block.location_id, None, "counted")
    _block(rng, bins, products)
    short = sorted(n for n, s in first["orders"].items() if s == "short")
    if short:
        line = db.session.scalars(select(OrderLine).join(Order).where(
            Order.channel_order_no == tag + rng.choice(short), OrderLine.quantity > 1)
            .order_by(OrderLine.id)).first()
        if line is not None:
            line.picked_qty = 1  # a short pick left one unit in the cart
    _orders(tag, rng, products, 40, 15)
    allocate()
    second = _answers(tag)
    # Finish the day: this tag's orders leave the next play alone.
    db.session.execute(update(Order).where(Order.channel_order_no.like(f"{tag}%"),
                                           Order.status.in_(("new", "short")))
                       .values(status="cancelled"))
    db.session.commit()
    return first, second


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bulk_allocation_answers_as_one_order_at_a_time(any_app, monkeypatch, seed):
    old = _play("OLD", seed, allocate_one_by_one)
    monkeypatch.setattr(bulk_allocation, "CHUNK", 7)  # cross many chunk borders
    new = _play("NEW", seed, allocate_pending)
    for round_old, round_new in zip(old, new):
        for key in round_old:
            assert round_new[key] == round_old[key], key
    statuses = set(new[1]["orders"].values())
    assert "allocated" in statuses and "short" in statuses  # the data tested both ways
    assert_invariants()


def assert_invariants():
    """No level reserved above its stock; reserved == the sum of active reservations,
    per level; every allocated order fully covered; every short order holds nothing."""
    db.session.expire_all()
    for level in db.session.scalars(select(StockLevel)):
        assert 0 <= level.reserved <= level.quantity
        held = db.session.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
            Reservation.product_id == level.product_id,
            Reservation.location_id == level.location_id, Reservation.active.is_(True)))
        assert held == level.reserved, (level.product_id, level.location_id)
    for order in db.session.scalars(select(Order)):
        for line in order.lines:
            held = db.session.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0))
                                     .where(Reservation.order_line_id == line.id,
                                            Reservation.active.is_(True)))
            if order.status == "allocated":
                assert held == line.quantity - line.picked_qty, order.number
            elif order.status == "short":
                assert held == 0, order.number
    assert reserved_total() == active_reservations_total()


def test_blocked_inactive_and_packing_stock_is_never_allocated(any_app):
    rng = random.Random(5)
    bins, products = _catalog("BLK", rng)
    for product in products:  # block every product in every bin but the first
        for location in bins[1:]:
            block_location(location.id, product.id, None, "empty")
    db.session.commit()
    _orders("BLK", rng, products, 0, 30)
    allocate_pending()
    db.session.commit()
    places = set(db.session.scalars(select(Reservation.location_id).where(
        Reservation.active.is_(True))))
    assert places <= {bins[0].id}
    assert_invariants()


def test_concurrent_waves_and_single_allocations_never_oversell(any_app, monkeypatch):
    """Two waves and single-order allocations at once: every unit reserved once."""
    from webapp.picking.allocation import allocate_order
    rng = random.Random(9)
    _bins, products = _catalog("CC", rng)
    _orders("CC", rng, products, 0, 60)
    ids = db.session.scalars(select(Order.id).order_by(Order.id)).all()
    free_before = db.session.scalar(select(func.sum(StockLevel.quantity)).join(Location)
                                    .where(Location.type == "storage", Location.active))
    monkeypatch.setattr(bulk_allocation, "CHUNK", 9)
    jobs = [allocate_pending, allocate_pending,
            *[lambda order_id=order_id: allocate_order(order_id) for order_id in ids[::7]]]
    assert run_in_threads(any_app, jobs) == []
    statuses = db.session.scalars(select(Order.status)).all()
    assert set(statuses) <= {"allocated", "short"} and "allocated" in statuses
    assert reserved_total() <= free_before
    # Each order was allocated once: one event per order, whoever took it.
    events = db.session.execute(select(OrderEvent.order_id, func.count())
                                .group_by(OrderEvent.order_id)).all()
    assert all(count == 1 for _id, count in events) and len(events) == len(ids)
    assert_invariants()


def test_a_wave_turns_every_reservation_into_one_task_and_audits_what_it_wrote(warehouse):
    """The next step after allocation: the wave's lists hold each reservation once, and
    the trail names every order it allocated and every list it created."""
    from outbound_support import stocked_skus

    from webapp.picking.models import PickList, PickTask, Wave
    from webapp.picking.waves import run_wave
    skus = stocked_skus(8)
    for n in range(10):
        intake(order_payload(f"W{n}", [(skus[n % 8], 1), (skus[(n + 3) % 8], 2)]))
    db.session.commit()
    wave = Wave(params_json='{"max_orders": 3, "max_lines": 20}')
    db.session.add(wave)
    db.session.commit()
    run_wave(wave)
    db.session.commit()
    tasks = db.session.execute(select(PickTask.reservation_id, PickTask.location_id,
                                      PickTask.quantity, PickTask.status)).all()
    held = db.session.execute(select(Reservation.id, Reservation.location_id,
                                     Reservation.quantity)
                              .where(Reservation.active.is_(True))).all()
    assert sorted((r, loc, q) for r, loc, q, _s in tasks) == sorted(tuple(h) for h in held)
    assert {status for *_rest, status in tasks} == {"pending"}
    lists = db.session.scalars(select(PickList.id).where(PickList.wave_id == wave.id)).all()
    assert len(lists) == 4  # 10 orders, carts of 3
    created = db.session.scalars(select(AuditEntry.object_id).where(
        AuditEntry.object_type == "pick_list", AuditEntry.action == "created")).all()
    assert sorted(created) == sorted(lists)
    allocated = db.session.scalars(select(Order.id).where(Order.status == "allocated")).all()
    audited = db.session.scalars(select(AuditEntry.object_id).where(
        AuditEntry.object_type == "order", AuditEntry.action == "changed")).all()
    assert len(allocated) == 10 and set(allocated) <= set(audited)
    assert_invariants()
