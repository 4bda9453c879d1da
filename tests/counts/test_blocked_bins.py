"""No picker is sent to a blocked bin (issue 15, part 4), and units a count finds
missing that orders had reserved are reserved elsewhere or the orders go short, as
after a short pick. On SQLite and PostgreSQL."""
from sqlalchemy import func, select

from outbound_support import barcode_of, level, order_payload, skus_by_bins
from webapp.catalog.blocks import active_block, block_location
from webapp.catalog.models import StockLevel
from webapp.catalog.stock import ledger_mismatches
from webapp.counts import services as counts, variances
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.orders.models import Order, OrderException
from webapp.picking.models import PickTask, Reservation
from webapp.picking.shortage import reroute_reservations, short_pick
from webapp.supervision import kpis


def _orders_at_one_bin(count, wave, bins):
    """`count` orders of 1 unit of a product held in `bins` bins, planned by one wave
    and reserved at the same bin; returns (product_id, bin_id, order ids)."""
    (sku,) = skus_by_bins(1, bins, min_qty=count + 1)
    ids = []
    for n in range(count):
        result = intake(order_payload(4000 + n, [(sku, 1)]))
        ids.append(result.order_id)
    db.session.commit()
    wave()
    rows = db.session.execute(select(Reservation.product_id, Reservation.location_id)
                              .where(Reservation.active.is_(True))).all()
    assert len(set(rows)) == 1, rows  # every order reserved at the one fullest bin
    return rows[0][0], rows[0][1], ids


def _active_at(product_id, bin_id):
    """Active reservations of a product at a bin."""
    return db.session.scalar(select(func.count()).where(
        Reservation.product_id == product_id, Reservation.location_id == bin_id,
        Reservation.active.is_(True)))


def test_a_short_pick_moves_other_orders_reserved_at_the_bin_elsewhere(
        warehouse, user_id, wave, started_task):
    """Three orders reserved at one bin; the picker reports it empty on the first: the
    other two are re-reserved at other bins and the list sends nobody back there."""
    product_id, bin_id, ids = _orders_at_one_bin(3, wave, bins=-2)
    list_id, picker, task = started_task()
    assert task.location_id == bin_id
    short_pick(list_id, task.id, picker, "empty")
    db.session.commit()
    assert _active_at(product_id, bin_id) == 0
    assert level(product_id, bin_id)[1] == 0
    pending = db.session.scalars(select(PickTask).where(PickTask.status == "pending")).all()
    assert pending and all(t.location_id != bin_id for t in pending)
    assert sum(t.quantity for t in pending) == 3
    assert ledger_mismatches() == []
    # The picker reported one short; the tasks moved off the bin are not theirs.
    (row,) = kpis.short_pick_rate("today").rows
    assert row[1:3] == [1, 1]


def test_an_allocated_order_with_nowhere_else_goes_back_for_the_next_wave(
        warehouse, user_id, wave):
    """The only bin is blocked: orders reserved there and not yet walked return to new
    with a shortage note, and the next wave records them short, sending no picker."""
    product_id, bin_id, ids = _orders_at_one_bin(2, wave, bins=1)
    block_location(bin_id, product_id, user_id("picker"), "damaged")
    reroute_reservations(bin_id, product_id, user_id("picker"))
    db.session.commit()
    assert {db.session.get(Order, i).status for i in ids} == {"new"}
    assert db.session.scalar(select(func.count()).where(
        PickTask.status == "pending")) == 0
    assert db.session.scalar(select(func.count()).where(
        OrderException.kind == "short", OrderException.order_id.in_(ids))) == 2
    wave()
    assert {db.session.get(Order, i).status for i in ids} == {"short"}
    assert _active_at(product_id, bin_id) == 0
    assert db.session.scalar(select(func.count()).where(PickTask.status == "pending")) == 0


def test_an_approved_count_missing_reserved_units_reroutes_the_orders(
        warehouse, user_id, wave):
    """Orders hold units at a bin a plain count finds empty: approving moves their
    reservations to other bins before the units leave the books."""
    product_id, bin_id, ids = _orders_at_one_bin(2, wave, bins=-2)
    counter, boss = user_id("receiver"), user_id("supervisor")
    task = counts.raise_count(bin_id, boss, "test")
    db.session.commit()
    others = {pid: level(pid, bin_id)[0] for pid in db.session.scalars(
        select(StockLevel.product_id).where(StockLevel.location_id == bin_id,
                                            StockLevel.quantity > 0,
                                            StockLevel.product_id != product_id))}
    counts.scan(task.id, counter, task.location.code)
    for pid, units in others.items():
        counts.scan(task.id, counter, barcode_of(pid), quantity=units)
    counts.finish(task.id, counter)
    db.session.commit()
    if task.status == "recount":  # over the threshold: a second person agrees
        recount = db.session.scalar(select(counts.CountTask).where(
            counts.CountTask.recount_of_id == task.id))
        counts.scan(recount.id, user_id("picker"), recount.location.code)
        for pid, units in others.items():
            counts.scan(recount.id, user_id("picker"), barcode_of(pid), quantity=units)
        counts.finish(recount.id, user_id("picker"))
        db.session.commit()
    (line,) = variances.pending()
    assert line.product_id == product_id and line.counted_qty == 0
    variances.approve([line.id], boss)
    db.session.commit()
    assert level(product_id, bin_id) == (0, 0)
    assert _active_at(product_id, bin_id) == 0
    assert db.session.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
        Reservation.product_id == product_id, Reservation.active.is_(True))) == 2
    assert active_block(bin_id, product_id) is None
    assert ledger_mismatches() == []
