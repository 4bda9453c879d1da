"""Picking on the handheld: claim a list, judge each scan, short picks, completion.

Stock moves once per task, when it is complete (location confirmed and every
unit scanned): one ledger line per task, and a replayed scan can never move
stock twice.
"""
from dataclasses import dataclass

from flask import g
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from ..audit import trail
from ..catalog.barcodes import read_scan
from ..catalog.models import Location, Product
from ..catalog.services import product_for_scan, refusal
from ..catalog.stock import move_stock, release
from ..extensions import db
from ..orders.models import Order, OrderLine
from ..orders.states import transition
from ..timeutil import utcnow
from . import closing
from .judging import apply_verdict, completes, judge, reservation_split
from .models import PickList, PickTask, Reservation


class PickingError(ValueError):
    """A picking action that is not allowed now; the message is shown."""


class TaskGone(PickingError):
    """The task changed meanwhile (finished, cancelled): a synced scan conflicts."""


@dataclass
class ScanOutcome:
    """How a scan was judged: ok or refused, why, and where the list stands."""

    ok: bool
    message: str
    task: PickTask | None = None
    finished: bool = False


def lists_for(user_id):
    """The person's lists in progress, then open lists anyone may claim."""
    return db.session.scalars(
        select(PickList).where(or_(
            (PickList.picker_id == user_id) & PickList.status.in_(("open", "in_progress")),
            (PickList.picker_id.is_(None)) & (PickList.status == "open")))
        .order_by(PickList.picker_id.is_(None), PickList.priority.desc(), PickList.id)).all()


def start_list(list_id, user_id):
    """Claim a list for this picker; refuse if someone else holds it."""
    before = db.session.execute(select(PickList.status, PickList.picker_id)
                                .where(PickList.id == list_id)).first()
    claimed = db.session.execute(
        update(PickList).where(PickList.id == list_id, PickList.status.in_(("open", "in_progress")),
                               or_(PickList.picker_id.is_(None), PickList.picker_id == user_id))
        .values(picker_id=user_id, status="in_progress")
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise PickingError(_("This pick list is taken by someone else or already finished."))
    trail.record(db.session, "pick_list", list_id,
                 {"status": before.status, "picker_id": before.picker_id},
                 {"status": "in_progress", "picker_id": user_id})
    pick_list = db.session.get(PickList, list_id, populate_existing=True)
    pick_list.started_at = pick_list.started_at or utcnow()
    for order in closing.orders_of(pick_list):
        if order.status == "allocated":
            transition(order, "picking", user_id)
    return pick_list


# Tasks are read one at a time by query, never through pick_list.tasks: a scan must
# not load a whole list (dozens of rows) to find the one task it is about. That
# load was the largest cost of a scan, and a scan is the hottest request we serve.
def current_task(pick_list):
    """The next pending task in route order, or None when the list is finished."""
    return db.session.scalar(select(PickTask).where(
        PickTask.pick_list_id == pick_list.id, PickTask.status == "pending")
        .options(joinedload(PickTask.location), joinedload(PickTask.product))
        .order_by(PickTask.sequence, PickTask.id).limit(1))


def progress(pick_list):
    """(tasks finished, tasks in all) for the progress bar."""
    done, total = db.session.execute(select(
        func.count().filter(PickTask.status != "pending"), func.count())
        .where(PickTask.pick_list_id == pick_list.id, PickTask.status != "cancelled")).one()
    return done, total


def owned_list(list_id, user_id):
    """A list the picker holds, or PickingError."""
    pick_list = db.session.get(PickList, list_id)
    if pick_list is None or pick_list.picker_id != user_id:
        raise PickingError(_("This pick list is not yours; start it from My pick lists."))
    if pick_list.status != "in_progress":
        raise PickingError(_("This pick list is not in progress."))
    return pick_list


def scan(list_id, user_id, raw_code, quantity=1, device_id=None, task_id=None):
    """Judge one scan against a task and apply it; return a ScanOutcome.

    Online the task is the current one. A scan synced from a device names the
    task it was judged against there (task_id), which must still be pending.
    """
    pick_list = owned_list(list_id, user_id)
    if task_id is None and pick_list.cancelled_order_id is not None:
        return _cancel_notice(pick_list)
    task = current_task(pick_list) if task_id is None else _pending_task(pick_list, task_id)
    if task is None:
        return ScanOutcome(False, _("The list is finished."), finished=True)
    scan = read_scan(raw_code)
    verdict = judge(task, task.location.code, scan, quantity, product_for_scan)
    if not verdict.ok:
        return ScanOutcome(False, verdict.message or wrong_scan_message(
            scan, verdict.named, task.location.code, task.product_id), task)
    done = completes(task, verdict)
    apply_verdict(task, verdict)
    if done:
        return _complete(pick_list, task, user_id, device_id, verdict.message)
    return ScanOutcome(True, verdict.message, task)


def _cancel_notice(pick_list):
    """Tell the picker, once, that an order of the list was cancelled; the scan that
    brought the notice is not counted (it was meant for a task that is gone)."""
    order = db.session.get(Order, pick_list.cancelled_order_id)
    pick_list.cancelled_order_id = None
    task = current_task(pick_list)
    if task is not None and task.kind == "putback" and task.order_id == order.id:
        message = _("Order %(number)s was cancelled: put back what you picked for it. "
                    "That scan was not counted.", number=order.number)
    elif _putbacks_later(pick_list, order):
        # Its units are in the cart: say what happens to them, not only "not needed"
        # (the put-backs come at the end of the walk, after the tasks still to pick).
        message = _("Order %(number)s was cancelled: its items are no longer needed; "
                    "what you picked for it goes back at the end of this list. "
                    "That scan was not counted.", number=order.number)
    else:
        message = _("Order %(number)s was cancelled: its items are no longer needed. "
                    "That scan was not counted.", number=order.number)
    return ScanOutcome(False, message, task)


def _putbacks_later(pick_list, order):
    """True when the list still holds put-backs of the order (its units in the cart)."""
    return db.session.scalar(select(PickTask.id).where(
        PickTask.pick_list_id == pick_list.id, PickTask.order_id == order.id,
        PickTask.kind == "putback", PickTask.status == "pending").limit(1)) is not None


def _pending_task(pick_list, task_id):
    """The named task of the list, or TaskGone when it is no longer pending."""
    task = db.session.get(PickTask, task_id)
    if task is None or task.pick_list_id != pick_list.id:
        raise PickingError(_("No such task on this pick list."))
    if task.status != "pending":
        raise TaskGone(_("The task is already %(state)s.", state=task.status))
    return task


def wrong_scan_message(scan, named, location_code, product_id):
    """Say what was scanned and what is expected instead (or why the code is malformed):
    `named` is the product the scan named, the rest is the task's."""
    if db.session.scalar(select(Location.id).where(Location.code == scan.text)):
        return _("Wrong location %(code)s. Go to %(expected)s.", code=scan.text,
                 expected=location_code)
    if named is not None:
        sku, name = db.session.execute(select(Product.sku, Product.name)
                                       .where(Product.id == product_id)).one()
        return _("Wrong item. Pick %(sku)s — %(name)s.", sku=sku, name=name)
    return refusal(scan)


def _complete(pick_list, task, user_id, device_id, message):
    """Finish a task whose location is confirmed and every unit counted: move its
    stock, then close the list when nothing is left to walk."""
    move_picked(task, task.picked_qty, user_id, device_id)
    task.status, task.done_at = "done", utcnow()
    upcoming = closing.task_left(pick_list)
    finished = upcoming is None and closing.close_list(pick_list, user_id)
    return ScanOutcome(True, message, upcoming, finished)


# The rule of where picked goods go, as a query: scan_now reads it as a column of its read.
STAGING = select(Location.id).where(Location.type == "packing").order_by(Location.id).limit(1)


def staging_location_id():
    """Where picked goods go: the first packing location (the packing area).

    Looked up once per request or job (a batch of scans asks for it per task).
    """
    if "staging_location_id" in g:
        return g.staging_location_id
    location_id = db.session.scalar(STAGING)
    g.staging_location_id = location_id
    if location_id is None:
        raise PickingError(_("No packing location exists; an admin must add one."))
    return location_id


def move_picked(task, quantity, user_id, device_id):
    """Move picked units through the ledger (or put them back, for a putback task)."""
    if quantity <= 0:
        return
    staging = staging_location_id()
    source = f"pick-task:{task.id}"
    if task.kind == "putback":
        move_stock(task.product_id, quantity, reason="unpick", from_location_id=staging,
                   to_location_id=task.location_id, user_id=user_id, device_id=device_id,
                   source=source)
        return
    reservation = db.session.get(Reservation, task.reservation_id) if task.reservation_id else None
    held, leftover = (reservation_split(quantity, reservation.quantity, reservation.active)
                      if reservation else (0, 0))
    move_stock(task.product_id, quantity, reason="pick", from_location_id=task.location_id,
               to_location_id=staging, user_id=user_id, device_id=device_id, source=source,
               consume_reserved=held)
    if reservation and reservation.active:
        if leftover:
            release(task.product_id, task.location_id, leftover)
        reservation.active = False
    line = db.session.get(OrderLine, task.order_line_id)
    line.picked_qty += quantity
