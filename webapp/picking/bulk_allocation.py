"""Allocation of a whole wave, set-based: the rules of allocation.allocate_order, a chunk
of orders at a time.

allocate_order reserves line by line with one conditional UPDATE per location and
commits per order: about a dozen statements an order, 100,000 orders a wave. Here a
chunk of orders (most urgent first) is judged in memory, in the same order and by the
same rules, and written in a handful of statements:

1. lock the chunk's orders (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already
   holds the write lock) and keep those still new or short;
2. read their lines, their active reservations, and lock and read the storage levels of
   their products in allocate_order's lock order (product, location);
3. in memory, order by order: each line takes what it still needs from the free units
   in allocation.in_pick_order; an order with a short line keeps nothing (its earlier
   reservations are given back, which frees them for the next orders);
4. write the reservations, the level changes (the CHECK reserved <= quantity still
   stands guard), the orders' states, their events, exceptions and audit entries.

Each chunk is one transaction, committed by the caller, so locks are held for one chunk,
never a whole wave. Orders locked first, then levels in one global order: the order in
which allocate_order and a short pick take them, so they queue and never deadlock.
"""
from collections import defaultdict

from sqlalchemy import select, update
from sqlalchemy.sql import exists

from ..audit import trail
from ..bulksql import add_to_column, in_ids, insert_rows
from ..catalog.models import Location, LocationBlock, StockLevel
from ..extensions import db
from ..orders.models import Order, OrderEvent, OrderException, OrderLine
from ..timeutil import utcnow
from .allocation import ALLOCATABLE, in_pick_order, shortfall
from .models import Reservation

# Orders per transaction: the locks of one chunk are held for a fraction of a second
# to a few seconds on a loaded machine; other sizes not measured yet.
CHUNK = 2000


def allocate_chunk(order_ids, user_id=None):
    """Allocate these orders, most urgent first as given; return {status: count}."""
    orders = _lock_orders(order_ids)
    if not orders:
        return {}
    lines = _lines(list(orders))
    held = _active_reservations([line.id for line in lines])
    levels = _lock_levels({line.product_id for line in lines} - {None})
    plan = _Plan(levels, held)
    by_order = defaultdict(list)
    for line in lines:
        by_order[line.order_id].append(line)
    for order_id in order_ids:
        if order_id in orders:
            plan.allocate(order_id, orders[order_id], by_order[order_id])
    _write(plan, user_id)
    return {status: sum(1 for s in plan.status.values() if s == status)
            for status in ("allocated", "short")}


def _lock_orders(order_ids):
    """{id: status} of the orders still waiting for allocation, locked."""
    rows = db.session.connection().execute(
        select(Order.id, Order.status).where(in_ids(Order.id, order_ids))
        .order_by(Order.id).with_for_update(of=Order)).all()
    return {row.id: row.status for row in rows if row.status in ALLOCATABLE}


def _lines(order_ids):
    """The orders' lines (rows with named columns), in line order."""
    return db.session.connection().execute(
        select(OrderLine.id, OrderLine.order_id, OrderLine.product_id, OrderLine.sku,
               OrderLine.quantity, OrderLine.picked_qty)
        .where(in_ids(OrderLine.order_id, order_ids)).order_by(OrderLine.id)).all()


def _active_reservations(line_ids):
    """The active reservations of these lines (rows with named columns)."""
    return db.session.connection().execute(
        select(Reservation.id, Reservation.order_line_id, Reservation.product_id,
               Reservation.location_id, Reservation.quantity)
        .where(in_ids(Reservation.order_line_id, line_ids), Reservation.active.is_(True))).all()


def _lock_levels(product_ids):
    """Lock every storage level of these products (allocation.lock_levels' rows, in its
    order) and read them: (product, location) -> [level id, free, may be allocated]."""
    blocked = exists().where(LocationBlock.location_id == StockLevel.location_id,
                             LocationBlock.product_id == StockLevel.product_id,
                             LocationBlock.cleared_at.is_(None))
    rows = db.session.connection().execute(
        select(StockLevel.id, StockLevel.product_id, StockLevel.location_id,
               StockLevel.quantity - StockLevel.reserved, Location.active, blocked)
        .join(Location, Location.id == StockLevel.location_id)
        .where(in_ids(StockLevel.product_id, product_ids), Location.type == "storage")
        .order_by(StockLevel.product_id, StockLevel.location_id)
        .with_for_update(of=StockLevel)).all()
    return {(product, location): [level_id, free, bool(active) and not is_blocked]
            for level_id, product, location, free, active, is_blocked in rows}


class _Plan:
    """What the chunk's allocation writes, decided in memory one order after another."""

    def __init__(self, levels, held):
        self.levels = levels
        self.free = defaultdict(dict)  # product -> {location: free units}, allocatable only
        for (product, location), (_id, free, allocatable) in levels.items():
            if allocatable:
                self.free[product][location] = free
        self.held = defaultdict(list)  # line -> its active reservations from before
        for reservation in held:
            self.held[reservation.order_line_id].append(reservation)
        self.made, self.released, self.short = [], [], {}
        self.delta = defaultdict(int)  # level id -> change of reserved
        self.status, self.before = {}, {}

    def allocate(self, order_id, status, lines):
        """allocate_order's rules for one order, against the free units in memory."""
        made, shortfalls = [], []
        for line in lines:
            missing = self._reserve_line(line, made)
            if missing:
                shortfalls.append(shortfall(line.sku, missing, line.quantity))
        self.before[order_id] = status
        if shortfalls:
            for product, location, quantity, _line in made:  # never written
                self._give_back(product, location, quantity)
            for line in lines:
                for reservation in self.held.pop(line.id, ()):
                    self.released.append(reservation.id)
                    self._give_back(reservation.product_id, reservation.location_id,
                                    reservation.quantity)
            self.short[order_id] = "; ".join(shortfalls)
            self.status[order_id] = "short"
        else:
            self.made += made
            self.status[order_id] = "allocated"

    def _reserve_line(self, line, made):
        """Take what the line still needs; append (product, location, qty, line) to made;
        return the units still missing."""
        product = line.product_id
        need = (line.quantity - line.picked_qty
                - sum(r.quantity for r in self.held.get(line.id, ())))
        if need <= 0:
            return 0
        free = self.free.get(product, {})
        rows = [(location, units) for location, units in free.items() if units > 0]
        for location, available in in_pick_order(rows, need):
            if need <= 0:
                break
            take = min(need, available)
            free[location] -= take
            self.delta[self.levels[product, location][0]] += take
            made.append((product, location, take, line.id))
            need -= take
        return max(need, 0)

    def _give_back(self, product, location, quantity):
        """Return units to a level; they are free again if the level may be allocated."""
        if (product, location) not in self.levels:  # held outside storage: not a candidate
            level_id = db.session.scalar(select(StockLevel.id).where(
                StockLevel.product_id == product, StockLevel.location_id == location))
            self.levels[product, location] = [level_id, 0, False]
        level_id, _free, allocatable = self.levels[product, location]
        self.delta[level_id] -= quantity
        if allocatable:
            self.free[product][location] += quantity


def _write(plan, user_id):
    """Write what the plan decided in a few statements."""
    session, now = db.session, utcnow()
    connection = session.connection()
    insert_rows(connection, Reservation, [
        {"order_line_id": line, "product_id": product, "location_id": location,
         "quantity": quantity, "active": True}
        for product, location, quantity, line in plan.made])
    if plan.released:
        connection.execute(update(Reservation).where(in_ids(Reservation.id, plan.released))
                           .values(active=False))
    add_to_column(connection, StockLevel, "reserved",
                  {level: delta for level, delta in plan.delta.items() if delta})
    moved = {order_id: to for order_id, to in plan.status.items()
             if to != plan.before[order_id]}
    for to in ("allocated", "short"):
        ids = [order_id for order_id, status in moved.items() if status == to]
        if ids:
            connection.execute(update(Order.__table__).where(in_ids(Order.__table__.c.id, ids))
                               .values(status=to, updated_at=now))
    if moved:
        insert_rows(connection, OrderEvent, [
            {"order_id": order_id, "from_status": plan.before[order_id], "to_status": to,
             "user_id": user_id, "note": plan.short.get(order_id, "")[:2000],
             "created_at": now} for order_id, to in moved.items()])
        trail.record_many(session, "order", [
            (order_id, {"status": plan.before[order_id]}, {"status": to})
            for order_id, to in moved.items()])
    insert_rows(connection, OrderException, [
        {"order_id": order_id, "kind": "short", "message": message, "created_at": now}
        for order_id, message in plan.short.items()])
