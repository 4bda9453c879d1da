"""Closing a pick list: when nothing is left to walk, it is done and its orders move on.

Apart from the scan (services) because more than the scan closes lists: a cancel
that took a list's last tasks (settle_list), a short pick, the set-based close of a
synced backlog (scan_batch), all by one rule (order_after_list), and because closing
is where a list meets whoever adds tasks to it at the same moment (task_left).
"""
from sqlalchemy import select, update

from ..audit import trail
from ..extensions import db
from ..orders.models import Order
from ..orders.states import can_transition, transition
from ..timeutil import utcnow
from . import services
from .models import PickList, PickTask


def orders_of(pick_list):
    """The distinct orders a list picks for."""
    ids = {task.order_id for task in pick_list.tasks}
    return db.session.scalars(select(Order).where(Order.id.in_(ids)).order_by(Order.id)).all()


def settle_list(pick_list, user_id):
    """Close a list whose remaining tasks were cancelled from outside (an order cancelled).

    A list in progress with nothing left to walk finishes as if its last task
    had been done, so its other orders move on to picked; a list nobody started
    whose every task is cancelled is cancelled, so no picker is sent to walk it.
    """
    if services.current_task(pick_list) is not None:
        return False
    if pick_list.status == "in_progress":
        return after_task(pick_list, user_id)
    if pick_list.status == "open" and all(t.status == "cancelled" for t in pick_list.tasks):
        pick_list.status, pick_list.finished_at = "cancelled", utcnow()
        return True
    return False


def after_task(pick_list, user_id):
    """Close the list and move its orders on when no task is pending; True if closed."""
    return task_left(pick_list) is None and close_list(pick_list, user_id)


def task_left(pick_list):
    """current_task, made sure of under the list's row lock when it says None (the list
    is about to close): a cancel may be adding its put-backs to this list right now.
    Adders lock the list too (orders.services._route_back), so after this lock one has
    either committed, and the second read sees its tasks, or waits for this close and
    finds the list done. Without it, a list closed with put-backs on it nobody walks."""
    task = services.current_task(pick_list)
    if task is None:
        lock_lists([pick_list.id])
        task = services.current_task(pick_list)
    return task


def lock_lists(list_ids):
    """Lock pick lists' rows (PostgreSQL; SQLite's writer already holds the database)
    against each other's closers and adders (LIST_LOCK)."""
    db.session.execute(select(PickList.id).where(PickList.id.in_(list_ids))
                       .order_by(PickList.id).with_for_update(**LIST_LOCK))


# FOR NO KEY UPDATE: it excludes the other closers and adders, but not the KEY SHARE
# lock a foreign key check takes (a scan record naming the list): with FOR UPDATE a
# cancel waited on the very scan whose close it had to wait for, and they deadlocked.
LIST_LOCK = {"key_share": True}


def close_list(pick_list, user_id):
    """Mark the list done and move each of its orders on to picked (or short)."""
    pick_list.status, pick_list.finished_at = "done", utcnow()
    for order in orders_of(pick_list):
        to = order_after_list(order, [t for t in pick_list.tasks if t.order_id == order.id],
                              lambda: order.lines)
        if to is not None:
            transition(order, to, user_id, CLOSING_NOTES[to])
    return True


CLOSING_NOTES = {"picked": "", "short": "short pick"}


def close_lists_written(list_ids):
    """Mark lists in progress done in one UPDATE, with the audit entries close_list's
    flush writes: the set-based close (scan_batch), which moves the orders itself.
    Returns how many were still in progress (a list released or reassigned since the
    caller read it is left as it is; the caller undoes its work when that is short),
    none of them when a task was added to one meanwhile (task_left says why)."""
    lock_lists(list_ids)
    if db.session.scalar(select(PickTask.id).where(
            PickTask.pick_list_id.in_(list_ids), PickTask.status == "pending").limit(1)):
        return 0
    table = PickList.__table__
    closed = db.session.execute(update(table).where(table.c.id.in_(list_ids),
                                                    table.c.status == "in_progress")
                                .values(status="done", finished_at=utcnow())).rowcount
    trail.record_many(db.session, "pick_list", [
        (list_id, {"status": "in_progress"}, {"status": "done"}) for list_id in list_ids])
    return closed


def order_after_list(order, tasks, lines):
    """Where closing a list moves one of its orders: "picked", "short" or None (it
    stays). `tasks` are the list's tasks of the order, `lines()` reads the order's
    lines (only when needed); rows or in-memory copies with the same attributes alike
    (scan_batch closes lists set-based by this rule)."""
    if order.status != "picking":
        return None
    # Short when a line still lacks units: a short task whose shortfall was
    # re-allocated to another bin of this list and picked there is not short.
    short = any(t.kind == "pick" and t.status == "short" for t in tasks) and any(
        line.picked_qty < line.quantity for line in lines())
    if short:
        return "short" if can_transition(order, "short") else None
    return "picked"
