"""The rows a run of pick scans touches, copied into memory in a few statements.

Its lists with every task, the tasks' orders and reservations, the stock levels they
touch (locked) and the products the codes name. Separate from scan_batch.World, which
judges scans against this copy and writes what they did, because the single scan
(scan_now.OneScan) reads the same copy its own way, in one statement, into the same
row shapes (TASK_FACTS, _List, _Task, ...).
"""
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, select, tuple_

from ..bulksql import as_arrays, by_column, one_of, unnested
from ..catalog.barcodes import read_scan
from ..catalog.models import Barcode, Location, Product, StockLevel
from ..extensions import db
from ..orders.models import Order
from . import services
from .models import PickList, PickTask, Reservation


# What judging needs of a task, its location and its order (ScanRows.add_task).
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


class ScanRows:
    """The rows a run of scans touches, read in a few statements (World judges them).

    scan_now.OneScan reads the rows of a single scan in one statement instead.
    """

    def __init__(self, records):
        self.scans = {id(record): read_scan(record.code) for record in records}
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


# Built once, as the statements of scan_writes (building and keying one costs more
# than running it for a run of one scan).
_LEVELS = (select(StockLevel.id, StockLevel.product_id, StockLevel.location_id,
                  StockLevel.quantity, StockLevel.reserved)
           .where(tuple_(StockLevel.product_id, StockLevel.location_id)
                  .in_(bindparam("pairs", expanding=True)))
           .order_by(StockLevel.product_id, StockLevel.location_id).with_for_update())

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
