"""Allocation: reserve stock per order line, or record the shortage (缺货)."""
from sqlalchemy import func, select

from ..catalog.blocks import unblocked
from ..catalog.models import Location, StockLevel
from ..catalog.stock import release, reserve
from ..extensions import db
from ..orders.models import Order, OrderException
from ..orders.states import transition
from .models import Reservation

ALLOCATABLE = ("new", "short")


def allocate_order(order_id, user_id=None):
    """Reserve every line of an order; return its new status.

    The order row is locked first (FOR UPDATE on PostgreSQL; SQLite serialises
    writers anyway), so two allocations of one order cannot both reserve. Each
    reservation is one conditional UPDATE, so concurrent allocations of
    different orders can never reserve more than is on hand. A short order
    keeps nothing reserved: its stock stays free for orders that can ship.
    """
    order = db.session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None or order.status not in ALLOCATABLE:
        return order.status if order else None
    lock_levels({line.product_id for line in order.lines})
    shortfalls = []
    for line in order.lines:
        missing, _made = reserve_line(line)
        if missing:
            shortfalls.append(shortfall(line.sku, missing, line.quantity))
    if shortfalls:
        release_order(order)
        db.session.add(OrderException(order_id=order.id, kind="short",
                                      message="; ".join(shortfalls)))
        if order.status != "short":
            transition(order, "short", user_id, "; ".join(shortfalls))
        return order.status
    transition(order, "allocated", user_id)
    return order.status


def shortfall(sku, missing, quantity):
    """How a short line reads in the order's exception and its event."""
    return f"{sku}: {missing} of {quantity} not available"


def lock_levels(product_ids, plus=()):
    """Lock the storage levels of these products in one global order: (product, location).

    Reserving line by line locks rows in the order's own line order; two orders
    naming the same SKUs in opposite orders would then deadlock on PostgreSQL.
    Taking every lock up front, sorted, makes concurrent allocations queue instead.
    `plus` adds other locations (the packing area a short pick moves units to), in
    the same ascending order move_stock takes its two levels in.
    """
    db.session.execute(
        select(StockLevel.id).join(Location, Location.id == StockLevel.location_id)
        .where(StockLevel.product_id.in_(product_ids),
               (Location.type == "storage") | Location.id.in_(list(plus)))
        .order_by(StockLevel.product_id, StockLevel.location_id)
        .with_for_update(of=StockLevel)).all()


def reserve_line(line):
    """Reserve what a line still needs; return (units still missing, new reservations).

    Units already picked (a short-picked order allocated again) need no stock. The
    caller holds the product's levels (lock_levels) when others may allocate at once.
    """
    need, made = line.quantity - line.picked_qty - reserved_for_line(line.id), []
    for location_id, available in _candidates(line.product_id, need):
        if need <= 0:
            break
        take = min(need, available)
        if reserve(line.product_id, location_id, take):
            made.append(Reservation(order_line_id=line.id, product_id=line.product_id,
                                    location_id=location_id, quantity=take))
            db.session.add(made[-1])
            need -= take
    db.session.flush()
    return max(need, 0), made


def _candidates(product_id, need):
    """Storage locations with free stock: one that covers the need alone first
    (the fewest stops), then the fullest ones. A blocked bin (reported short, not yet
    counted) is never a candidate: its units are on the books but not on the shelf."""
    rows = db.session.execute(
        select(StockLevel.location_id, StockLevel.quantity - StockLevel.reserved)
        .join(Location, Location.id == StockLevel.location_id)
        .where(StockLevel.product_id == product_id, Location.type == "storage",
               Location.active.is_(True), StockLevel.quantity > StockLevel.reserved,
               unblocked(StockLevel.location_id, StockLevel.product_id))).all()
    return in_pick_order(rows, need)


def in_pick_order(rows, need):
    """(location id, free units) rows in the order they are drawn from: the tightest
    location that covers the need alone first (one stop, and the big ones stay whole),
    then the fullest ones, fewest stops; ties by location id. The one source of this
    rule for allocating one order and for allocating a whole wave (bulk_allocation)."""
    if len(rows) < 2:  # the usual product in one bin: nothing to sort (a wave asks 300,000 times)
        return list(rows)
    covering = sorted((r for r in rows if r[1] >= need), key=lambda r: (r[1], r[0]))
    rest = sorted((r for r in rows if r[1] < need), key=lambda r: (-r[1], r[0]))
    return covering[:1] + rest + covering[1:]


def reserved_for_line(line_id):
    """Units currently reserved for an order line."""
    return db.session.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
        Reservation.order_line_id == line_id, Reservation.active.is_(True)))


def release_order(order):
    """Give back every active reservation of an order (cancel, shortage, re-plan)."""
    line_ids = [line.id for line in order.lines]
    reservations = db.session.scalars(select(Reservation).where(
        Reservation.order_line_id.in_(line_ids), Reservation.active.is_(True))).all()
    for reservation in reservations:
        release(reservation.product_id, reservation.location_id, reservation.quantity)
        reservation.active = False
    return len(reservations)


def pending_ids(limit=None):
    """Ids of the orders waiting for allocation, most urgent first."""
    query = (select(Order.id).where(Order.status.in_(ALLOCATABLE))
             .order_by(Order.priority.desc(), Order.cutoff_at.is_(None), Order.cutoff_at,
                       Order.id))
    return db.session.scalars(query.limit(limit) if limit else query).all()


def allocate_pending(limit=None, user_id=None, progress=None):
    """Allocate new and short orders, most urgent first, a chunk per transaction.

    The same answers as allocate_order on each order in turn (bulk_allocation);
    committing per chunk keeps each lock short, so pickers' scans are never
    stuck behind a long allocation run.
    """
    from .bulk_allocation import CHUNK, allocate_chunk  # it builds on this module's rules
    ids = pending_ids(limit)
    db.session.commit()
    outcome = {"allocated": 0, "short": 0}
    for start in range(0, len(ids), CHUNK):
        for status, count in allocate_chunk(ids[start:start + CHUNK], user_id).items():
            outcome[status] += count
        db.session.commit()
        if progress:
            progress(min(start + CHUNK, len(ids)), len(ids))
    return outcome


def allocate_one_by_one(limit=None, user_id=None, progress=None):
    """The path allocate_pending replaced: allocate_order per order, committing each.

    Kept as the reference the bulk path is compared with (tests, benchmark).
    """
    ids = pending_ids(limit)
    db.session.commit()
    outcome = {"allocated": 0, "short": 0}
    for done, order_id in enumerate(ids, start=1):
        status = allocate_order(order_id, user_id)
        db.session.commit()
        if status in outcome:
            outcome[status] += 1
        if progress and done % 200 == 0:
            progress(done, len(ids))
    return outcome
