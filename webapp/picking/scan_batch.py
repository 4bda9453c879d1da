"""Stored pick scans applied set-based: a device's backlog in a few statements a chunk.

A handheld back from a dead zone sends thousands of pick scans at once. Applied one
by one through the ORM each costs about a dozen statements; here a run of them is
read in a few (its lists with every task, the tasks' reservations, the stock levels
they touch, locked, the products the codes name), judged in memory in order by the
rules the screen uses (judging.judge, synced_problem, catalog.stock.take_refusal),
and written in a few (task progress, ledger lines and levels through
catalog.stock.move_stock_many, reservations, order lines).

The lists the run's scans finished are closed after its writes, set-based, by the
rule the online close uses (services.order_after_list: orders move on to picked or
short, with their events; audited as the scan that finished each list); closing
changes nothing the judging of later scans reads. Anything the in-memory copy
does not cover (no packing area, a reservation the level no longer holds) raises
OneByOne before a row is written, and sync applies the run one scan at a time.
"""
from collections import defaultdict
from functools import cache
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, tuple_, update

from ..audit.trail import acting_as
from ..catalog.barcodes import read_scan
from ..catalog.models import Barcode, Location, Product, StockLevel
from ..catalog.stock import move_stock_many, take_refusal
from ..bulksql import as_arrays, by_column, one_of, unnested
from ..extensions import db
from ..orders.models import Order, OrderLine
from ..orders.states import transition_many
from ..sync.actions import Conflict, OneByOne, Rejected
from ..timeutil import utcnow
from . import services
from .judging import apply_verdict, completes, judge, reservation_split
from .models import PickList, PickTask, Reservation


def synced_problem(pick_list, task, order, user_id):
    """Why a synced scan no longer fits (a Conflict or Rejected to raise), or None.

    `pick_list`, `task` and the task's `order` are rows or in-memory copies with the
    same attributes (None when absent): the list must still be this person's and in
    progress, the task on it and pending, its order not cancelled.
    """
    if pick_list is None:
        return Rejected("unknown pick list")
    if pick_list.picker_id != user_id:
        return Conflict("the pick list was reassigned to someone else")
    if pick_list.status != "in_progress":
        return Conflict(f"the pick list is {pick_list.status}")
    on_list = task is not None and task.pick_list_id == pick_list.id
    # A putback walks a cancelled order's units back to the shelf: its order is
    # cancelled by definition, and its scans are the ones that must be applied.
    if on_list and order.status == "cancelled" and task.kind != "putback":
        return Conflict(f"order {order.number} was cancelled")
    if not on_list:
        return Rejected(_("No such task on this pick list."))
    if task.status != "pending":
        return Conflict(_("The task is already %(state)s.", state=task.status))
    return None


def apply_picks(records):
    """Apply stored pick scans in order; return (status, reason) for each."""
    world = World(records)
    outcomes = [world.judge(record) for record in records]
    world.settle()
    return outcomes


def _acting(record):
    """Audit what a scan does as its person and device did it, at the scan's time."""
    return acting_as(record.user_id, record.device_id, record.device_time,
                     f"scan {record.scan_uuid}")


def _close(record):
    """Close the list the scan finished through the online service (its orders move
    on), audited as the scan's person and device."""
    with _acting(record):
        services.after_task(db.session.get(PickList, record.pick_list_id), record.user_id)
        db.session.flush()  # the audit entries are written now, as the scan's


# What judging needs of a task, its location and its order (World.add_task).
TASK_FACTS = (PickTask.id, PickTask.pick_list_id, PickTask.kind, PickTask.status,
              PickTask.order_id, PickTask.order_line_id, PickTask.reservation_id,
              PickTask.location_id, PickTask.product_id, PickTask.quantity,
              PickTask.picked_qty, PickTask.location_confirmed, PickTask.version, Location.code,
              Order.status, Order.channel, Order.channel_order_no)


@dataclass
class _List:
    id: int
    picker_id: int | None
    status: str


@dataclass
class _Order:
    status: str
    number: str


@dataclass
class _Task:
    id: int
    pick_list_id: int
    kind: str
    status: str
    order_id: int
    order_line_id: int
    reservation_id: int | None
    location_id: int
    product_id: int
    quantity: int
    picked_qty: int
    location_confirmed: bool
    version: int
    location_code: str
    done_at: object = None


@dataclass
class _Reservation:
    quantity: int
    active: bool


class World:
    """The rows a run of scans touches, read in a few statements, and what they do.

    scan_now.OneScan reads the rows of a single scan in one statement instead
    (the online scan); judging and writing are this class's, for both.
    """

    def __init__(self, records):
        self.scans = {id(record): read_scan(record.code) for record in records}
        self.moves, self.releases, self.spent = [], [], []
        self.line_gains, self.touched, self.closing = defaultdict(int), {}, []
        self._read(records)

    def _read(self, records):
        """Read the lists, tasks, orders, reservations, levels and products of the run."""
        self.lists = {row.id: _List(*row) for row in db.session.execute(
            select(PickList.id, PickList.picker_id, PickList.status)
            .where(one_of(PickList.id, "ids")), {"ids": list({r.pick_list_id for r in records})})}
        self.tasks, self.orders, self.tasks_of = {}, {}, defaultdict(list)
        for row in db.session.execute(
                select(*TASK_FACTS)
                .join(Location, Location.id == PickTask.location_id)
                .join(Order, Order.id == PickTask.order_id)
                .where(one_of(PickTask.pick_list_id, "ids")), {"ids": list(self.lists)}):
            task = self.add_task(row)
            self.tasks_of[task.pick_list_id].append(task)
        pending = [t for t in self.tasks.values() if t.status == "pending"]
        self.reservations = {row.id: _Reservation(row.quantity, row.active)
                             for row in db.session.execute(
                                 select(Reservation.id, Reservation.quantity, Reservation.active)
                                 .where(one_of(Reservation.id, "ids")),
                                 {"ids": list({t.reservation_id for t in pending
                                               if t.reservation_id})})}
        self.staging = _staging()
        self.levels, self.level_ids = self._levels(pending)
        self.products = _products_of(self.scans.values())

    def add_task(self, row):
        """Keep a task and its order from a row of TASK_FACTS; return the task."""
        task = _Task(*row[:14])
        self.tasks[task.id] = task
        self.orders[task.order_id] = _Order(row[14], f"{row[15]}-{row[16]}")  # Order.number
        return task

    def _levels(self, pending):
        """The levels the pending tasks may take from or put to, locked in the order
        allocation takes them: {(product, location): (quantity, reserved)}, and ids."""
        pairs = {(t.product_id, t.location_id) for t in pending} | {
            (t.product_id, self.staging) for t in pending}
        levels, ids = {}, set()
        pairs = sorted(pairs)
        arrays = as_arrays(db.session.get_bind().dialect.name, len(pairs))
        for row in db.session.execute(_levels_statement(arrays), by_column(
                [{"product_id": p, "location_id": l} for p, l in pairs], _PAIR)
                if arrays else {"pairs": pairs}):
            levels[(row.product_id, row.location_id)] = (row.quantity, row.reserved)
            ids.add(row.id)
        return levels, ids

    def product_of(self, scan):
        """The product a read scan names (catalog.services.product_for_scan, in memory)."""
        found = [self.products["codes"][key] for key in scan.keys if key in self.products["codes"]]
        if found:
            return min(found)[1]
        return self.products["skus"].get(scan.text)

    def judge(self, record):
        """Judge one scan against the copy, change the copy; return (status, reason)."""
        task = self.tasks.get(record.task_id)
        problem = synced_problem(self.lists.get(record.pick_list_id), task,
                                 task and self.orders[task.order_id], record.user_id)
        if problem is not None:
            return ("conflict" if isinstance(problem, Conflict) else "rejected"), str(problem)
        scan = self.scans[id(record)]
        verdict = judge(task, task.location_code, scan, record.quantity, self.product_of)
        if not verdict.ok:
            return "rejected", verdict.message or services.wrong_scan_message(
                scan, verdict.named, task.location_code, task.product_id)
        if completes(task, verdict):
            refusal = self._finish(task, task.picked_qty + verdict.count, record)
            if refusal is not None:
                return "conflict", f"stock already gone: {refusal}"
            task.status, task.done_at = "done", utcnow()
            if not self._pending_left(task.pick_list_id):
                self.lists[task.pick_list_id].status = "done"
                self.closing.append(record)
        apply_verdict(task, verdict)
        self.touched[task.id] = task
        return "applied", verdict.message

    def _pending_left(self, list_id):
        """True while a task of the list is still pending (in the copy)."""
        return any(t.status == "pending" for t in self.tasks_of[list_id])

    def settle(self):
        """Write what the judged scans did, then close the lists they finished."""
        self.write()
        self.close_lists()
        self.closing = []

    def close_lists(self):
        """Close the finished lists in the order they finished, set-based, by the online
        rule (services.order_after_list), each as the scan that finished it: the same
        rows, events and audit entries as services.after_task, without loading them."""
        moved = set()
        for record in self.closing:
            tasks = self.tasks_of[record.pick_list_id]
            moves = []
            for order_id in sorted({task.order_id for task in tasks}):
                order = self.orders[order_id]
                to = services.order_after_list(
                    order, [task for task in tasks if task.order_id == order_id],
                    lambda order_id=order_id: db.session.execute(_LINES_OF, {"o": order_id}))
                if to is not None:
                    moves.append((order_id, order.status, to, record.user_id,
                                  services.CLOSING_NOTES[to]))
                    order.status = to
            with _acting(record):
                # Read unlocked: a release, a reassignment or an order's cancel committed
                # since then leaves its row as it was, and the run goes one by one.
                if services.close_lists_written([record.pick_list_id]) != 1 \
                        or transition_many(moves) != len(moves):
                    raise StaleTask("a list or an order changed meanwhile")
            moved.update(order_id for order_id, *_rest in moves)
        _forget({PickList: {record.pick_list_id for record in self.closing}, Order: moved})

    def _finish(self, task, quantity, record):
        """Move a finished task's units (services.move_picked in memory); the refusal
        of the take when the shelf no longer holds them, else None."""
        if self.staging is None:
            raise OneByOne("no packing location")
        if quantity <= 0:
            return None
        reservation = self.reservations.get(task.reservation_id) if task.kind == "pick" else None
        held, leftover = (reservation_split(quantity, reservation.quantity, reservation.active)
                          if reservation else (0, 0))
        source, target = ((self.staging, task.location_id) if task.kind == "putback"
                          else (task.location_id, self.staging))
        if source == target:
            raise OneByOne("the packing area is the task's location")
        level = self.levels.get((task.product_id, source))
        refusal = take_refusal(level, quantity, held)
        if refusal is not None:
            return refusal
        left = (level[0] - quantity, level[1] - held - leftover)
        if left[1] < 0:  # release() would refuse: more freed than the level reserves
            raise OneByOne("a reservation the level no longer holds")
        self.levels[(task.product_id, source)] = left
        there = self.levels.get((task.product_id, target), (0, 0))
        self.levels[(task.product_id, target)] = (there[0] + quantity, there[1])
        self.moves.append({
            "product_id": task.product_id, "quantity": quantity,
            "reason": "unpick" if task.kind == "putback" else "pick",
            "from_location_id": source, "to_location_id": target, "user_id": record.user_id,
            "device_id": record.device_id, "source": f"pick-task:{task.id}",
            "consume_reserved": held, "created_at": utcnow()})
        if leftover:
            self.releases.append((task.product_id, source, leftover))
        if reservation is not None and reservation.active:
            reservation.active = False
            self.spent.append(task.reservation_id)
        if task.kind == "pick":
            self.line_gains[task.order_line_id] += quantity
        return None

    def write(self):
        """Write what the judged scans did, in a few statements."""
        if self.touched:
            _write_tasks(self.touched.values())
        move_stock_many(self.moves, self.releases)
        if self.spent:
            db.session.execute(_SPENT, {"ids": self.spent})
        if self.line_gains:
            db.session.execute(_LINES_PICKED, [{"i": i, "n": n}
                                               for i, n in self.line_gains.items()])
        _forget({PickTask: set(self.touched), Reservation: set(self.spent),
                 OrderLine: set(self.line_gains), StockLevel: self.level_ids,
                 PickList: set(self.lists)})
        self.moves, self.releases, self.spent = [], [], []
        self.line_gains, self.touched = defaultdict(int), {}


# The statements of every run, built once (building and keying one costs more than
# running it for a run of one scan).
_LEVELS = (select(StockLevel.id, StockLevel.product_id, StockLevel.location_id,
                  StockLevel.quantity, StockLevel.reserved)
           .where(tuple_(StockLevel.product_id, StockLevel.location_id)
                  .in_(bindparam("pairs", expanding=True)))
           .order_by(StockLevel.product_id, StockLevel.location_id).with_for_update())
_TASKS_DONE = (update(PickTask.__table__).where(PickTask.__table__.c.id == bindparam("i"),
                                                PickTask.__table__.c.version == bindparam("v"))
               .values(picked_qty=bindparam("p"), location_confirmed=bindparam("c"),
                       status=bindparam("s"), done_at=bindparam("d"),
                       version=bindparam("v") + 1))
_SPENT = (update(Reservation.__table__)
          .where(Reservation.__table__.c.id.in_(bindparam("ids", expanding=True)))
          .values(active=False))
_LINES_PICKED = (update(OrderLine.__table__).where(OrderLine.__table__.c.id == bindparam("i"))
                 .values(picked_qty=OrderLine.__table__.c.picked_qty + bindparam("n")))
# An order's lines, for the close of a list whose pick of it was short.
_LINES_OF = select(OrderLine.picked_qty, OrderLine.quantity).where(
    OrderLine.order_id == bindparam("o"))


_PAIR = ("product_id", "location_id")


@cache
def _levels_statement(arrays):
    """_LEVELS; with `arrays` (PostgreSQL, many) the pairs as two arrays, unnested: an
    IN of a placeholder per id, two thousand for a run, psycopg parses afresh."""
    if not arrays:
        return _LEVELS
    level = StockLevel.__table__
    pairs = unnested("pairs", [level.c[name] for name in _PAIR])
    return (select(StockLevel.id, StockLevel.product_id, StockLevel.location_id,
                   StockLevel.quantity, StockLevel.reserved)
            .where(tuple_(StockLevel.product_id, StockLevel.location_id).in_(
                select(pairs.c.product_id, pairs.c.location_id)))
            .order_by(StockLevel.product_id, StockLevel.location_id)
            .with_for_update(of=StockLevel))


class StaleTask(OneByOne):
    """A task, or a list or order being closed, was written by another transaction
    since it was read (on PostgreSQL, a second scan of it at the same instant; a
    release or a cancel): nothing of this write is kept; the scans go through the
    one-by-one path, which reads the rows as they are now."""


def _write_tasks(tasks):
    """Write the tasks' progress, each only if still at the version read: raise
    StaleTask when one was not (the caller's savepoint or transaction then undoes
    the rest, before the stock moves, which write() makes after)."""
    tasks = list(tasks)
    written = db.session.execute(_TASKS_DONE, [
        {"i": t.id, "p": t.picked_qty, "c": t.location_confirmed, "s": t.status,
         "d": t.done_at, "v": t.version} for t in tasks]).rowcount
    if written != len(tasks):
        raise StaleTask("a task was changed by another scan meanwhile")
    for task in tasks:
        task.version += 1  # a later write of the run names the version written here


def _staging():
    """The packing area's location id, or None when there is none."""
    try:
        return services.staging_location_id()
    except services.PickingError:
        return None


def _products_of(scans):
    """What the read scans name: {"codes": {barcode: (barcode id, product id)},
    "skus": {sku: product id}}, read in two statements."""
    keys = {key for scan in scans for key in scan.keys}
    codes = {row.code: (row.id, row.product_id) for row in db.session.execute(
        select(Barcode.code, Barcode.id, Barcode.product_id).where(one_of(Barcode.code, "keys")),
        {"keys": list(keys)})} \
        if keys else {}
    texts = {scan.text for scan in scans if scan.text}
    skus = dict(db.session.execute(select(Product.sku, Product.id)
                                   .where(one_of(Product.sku, "texts")),
                                   {"texts": list(texts)}).all()) if texts else {}
    return {"codes": codes, "skus": skus}


def _forget(written):
    """Expire the session's copies of rows written here with Core statements
    ({model: ids}), so an ORM read after (closing a list, a scan applied one by one)
    sees the new values. One pass over the session, not a lookup per row."""
    for obj in list(db.session.identity_map.values()):
        ids = written.get(type(obj))
        if ids and obj.id in ids:
            db.session.expire(obj)
