"""Stored pick scans applied set-based: a device's backlog in a few statements a chunk.

A handheld back from a dead zone sends thousands of pick scans at once. Applied one
by one through the ORM each costs about a dozen statements; here a run of them is
read in a few (its lists with every task, the tasks' reservations, the stock levels
they touch, locked, the products the codes name), judged in memory in order by the
rules the screen uses (judging.judge, synced_problem, catalog.stock.take_refusal),
and written in a few (task progress, ledger lines and levels through
catalog.stock.move_stock_many, reservations, order lines).

The lists the run's scans finished are closed after its writes, set-based, by the
rule the online close uses (closing.order_after_list: orders move on to picked or
short, with their events; audited as the scan that finished each list); closing
changes nothing the judging of later scans reads. Anything the in-memory copy
does not cover (no packing area, a reservation the level no longer holds) raises
OneByOne before a row is written, and sync applies the run one scan at a time.

World, here, judges and decides what to write; the reading of its copy is
scan_rows.ScanRows, the statements it writes with are scan_writes'.
"""
from collections import defaultdict

from flask_babel import gettext as _

from ..catalog.models import StockLevel
from ..catalog.stock import move_stock_many, take_refusal
from ..extensions import db
from ..orders.models import Order, OrderLine
from ..orders.states import transition_many
from ..sync.actions import Conflict, OneByOne, Rejected
from ..timeutil import utcnow
from . import closing, services
from .judging import apply_verdict, completes, judge, reservation_split
from .models import PickList, PickTask, Reservation
from .scan_rows import ScanRows
from .scan_writes import (_LINES_OF, _LINES_PICKED, _SPENT, StaleTask, _acting, _forget,
                          _write_tasks)


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


class World(ScanRows):
    """The rows a run of scans touches, read in a few statements (ScanRows), and what they do.

    scan_now.OneScan reads the rows of a single scan in one statement instead
    (the online scan); judging and writing are this class's, for both.
    """

    def __init__(self, records):
        self.moves, self.releases, self.spent = [], [], []
        self.line_gains, self.touched, self.closing = defaultdict(int), {}, []
        super().__init__(records)

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
        rule (closing.order_after_list), each as the scan that finished it: the same
        rows, events and audit entries as closing.after_task, without loading them."""
        moved = set()
        for record in self.closing:
            tasks = self.tasks_of[record.pick_list_id]
            moves = []
            for order_id in sorted({task.order_id for task in tasks}):
                order = self.orders[order_id]
                to = closing.order_after_list(
                    order, [task for task in tasks if task.order_id == order_id],
                    lambda order_id=order_id: db.session.execute(_LINES_OF, {"o": order_id}))
                if to is not None:
                    moves.append((order_id, order.status, to, record.user_id,
                                  closing.CLOSING_NOTES[to]))
                    order.status = to
            with _acting(record):
                # Read unlocked: a release, a reassignment or an order's cancel committed
                # since then leaves its row as it was, and the run goes one by one.
                if closing.close_lists_written([record.pick_list_id]) != 1 \
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
