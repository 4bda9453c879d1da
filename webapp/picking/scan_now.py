"""One pick scan applied now, in a handful of statements: the hottest write we serve.

The sync API applies a handheld's scan as it arrives (judge_now), the picker's
screen a scan as it is made (screen_scan); through the ORM rules (services.scan)
that took ~22 statements. Here the scan's list, task, location,
order, reservation, the packing area and the product its code names are read in
one statement, judged by the rules of the bulk apply (scan_batch.World, which asks
judging.judge and synced_problem), and written by the same code: when the scan
finishes its task, the two stock levels it moves are read locked, then the task,
levels, ledger line, reservation and order line are written. A scan that does not
finish its task writes one row. The one-by-one ORM path stays for what this copy
does not cover (World raises OneByOne before any row is written).
"""
from types import SimpleNamespace

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from ..catalog.models import Location
from ..catalog.services import product_queries
from ..extensions import db
from ..orders.models import Order
from ..sync.actions import OneByOne
from . import services
from .models import PickList, PickTask, Reservation
from .scan_batch import World
from .scan_rows import TASK_FACTS, _List, _Reservation
from .scan_writes import _close


def judge_now(record):
    """Judge one pick scan against the rows as they are now; return (status, reason,
    write): calling write() makes an applied scan so (the caller stores the scan
    first, so that a scan sent twice writes nothing the second time)."""
    world = OneScan([record])
    status, reason = world.judge(record)
    return status, reason, world.settle


def screen_scan(list_id, user_id, raw_code, quantity, device_id=None):
    """The picker's screen: judge a scan against the list's current task and apply it
    (a ScanOutcome). What the copy does not word as the screen does (a list not yours
    or not in progress, a cancel notice, the list's end, stock gone, no packing area)
    goes through services.scan, the ORM rules, with nothing written here."""
    facts = db.session.execute(_CURRENT, {"list_id": list_id}).first()
    if facts is None or facts.picker_id != user_id or facts.status != "in_progress" \
            or facts.cancelled_order_id is not None or facts.task_id is None:
        return services.scan(list_id, user_id, raw_code, quantity, device_id=device_id)
    record = SimpleNamespace(pick_list_id=list_id, task_id=facts.task_id, user_id=user_id,
                             device_id=device_id, code=raw_code, quantity=quantity)
    try:
        world = OneScan([record])
        status, reason = world.judge(record)
    except OneByOne:
        status = None
    if status not in ("applied", "rejected") or world.closing:
        return services.scan(list_id, user_id, raw_code, quantity, device_id=device_id)
    try:
        world.settle()
    except OneByOne:  # the task was written since it was read (a second scan of it at once)
        return services.scan(list_id, user_id, raw_code, quantity, device_id=device_id)
    return services.ScanOutcome(status == "applied", reason)


class OneScan(World):
    """The World of a single scan: its rows read in one statement, levels on demand."""

    def _read(self, records):
        """Read the list and, when it is on the list, the task with its facts."""
        record, = records
        scan = self.scans[id(record)]
        self.lists, self.tasks, self.orders, self.reservations = {}, {}, {}, {}
        self.levels, self.level_ids, self.others_pending, self.named = {}, set(), 0, None
        self.staging = None
        row = db.session.execute(_READ, {"list_id": record.pick_list_id, "task_id": record.task_id,
                                         "keys": list(scan.keys), "text": scan.text}).first()
        if row is None:
            return
        self.lists[row.list_id] = _List(*row[:3])
        self.staging, self.others_pending = row.staging, row.others_pending
        self.named = (row.by_code or row.by_sku) if scan.text else None
        if row.task_id is not None:
            task = self.add_task(row[3:3 + len(TASK_FACTS)])
            if row.reserved is not None:
                self.reservations[task.reservation_id] = _Reservation(row.reserved,
                                                                      row.reservation_active)

    def product_of(self, scan):
        """The product the scan names, read with the task (product_for_scan's rule)."""
        return self.named

    def close_lists(self):
        """Close the list the scan finished (one at most) through the online service."""
        for record in self.closing:
            _close(record)

    def _pending_left(self, list_id):
        """True while another task of the list is pending (this one was just done)."""
        return self.others_pending > 0

    def _finish(self, task, quantity, record):
        """Lock and read the two levels the task moves stock between, then judge the move."""
        if self.staging is not None and not self.levels:
            self.levels, self.level_ids = self._levels([task])
        return super()._finish(task, quantity, record)


def _query():
    """The list, the named task on it with its location, order and reservation, how
    many other tasks of the list are pending, the packing area, the product the scan
    names (by code, by SKU): one row, or none when the list does not exist.

    Built once with bind parameters: building and keying a statement this size cost
    more than running it."""
    other = aliased(PickTask)
    by_code, by_sku = product_queries(bindparam("keys", expanding=True), bindparam("text"))
    others_pending = (select(func.count()).select_from(other)
                      .where(other.pick_list_id == PickList.id, other.status == "pending",
                             other.id != PickTask.id).scalar_subquery())
    return (select(PickList.id.label("list_id"), PickList.picker_id,
                   PickList.status.label("list_status"), *TASK_FACTS,
                   PickTask.id.label("task_id"), Reservation.quantity.label("reserved"),
                   Reservation.active.label("reservation_active"),
                   others_pending.label("others_pending"),
                   services.STAGING.scalar_subquery().label("staging"),
                   by_code.scalar_subquery().label("by_code"),
                   by_sku.scalar_subquery().label("by_sku"))
            .select_from(PickList)
            .outerjoin(PickTask, (PickTask.id == bindparam("task_id"))
                       & (PickTask.pick_list_id == PickList.id))
            .outerjoin(Location, Location.id == PickTask.location_id)
            .outerjoin(Order, Order.id == PickTask.order_id)
            .outerjoin(Reservation, Reservation.id == PickTask.reservation_id)
            .where(PickList.id == bindparam("list_id")))


_READ = _query()
# A list's owner, state, cancel notice and current task (services.current_task's order).
_CURRENT = select(PickList.picker_id, PickList.status, PickList.cancelled_order_id,
                  select(PickTask.id).where(PickTask.pick_list_id == PickList.id,
                                            PickTask.status == "pending")
                  .order_by(PickTask.sequence, PickTask.id).limit(1)
                  .scalar_subquery().label("task_id")).where(PickList.id == bindparam("list_id"))
