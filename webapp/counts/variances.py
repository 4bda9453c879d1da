"""Variances: judge a finished count, ask for a recount, approve or reject, accuracy.

A variance over the thresholds (COUNT_RECOUNT_UNITS, COUNT_RECOUNT_VALUE_CENTS) is
counted again, by someone else where there is someone, before a supervisor sees it.
An approved variance is one ledger line (reason "count", source "count:<task>") and
lifts the block on that product at that bin. Units the count found missing that
orders had reserved are reserved elsewhere or the orders go short, as after a short
pick (picking.shortage.reroute_reservations).
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..catalog.blocks import block_location, clear_block
from ..catalog.models import Product, StockLevel
from ..catalog.stock import move_stock
from ..extensions import db
from ..picking.allocation import lock_levels
from ..picking.models import Reservation
from ..picking.shortage import picks_under_way, reroute_reservations
from ..timeutil import utcnow
from .models import CountLine, CountTask


class VarianceError(ValueError):
    """A decision that cannot be made; the message is shown."""


def value_cents(line):
    """What the line's variance is worth (0 when the product has no unit cost)."""
    return abs(line.variance) * (line.product.unit_cost_cents or 0)


def over_threshold(line):
    """True when the variance is big enough to be counted again before approval."""
    config = current_app.config
    return (abs(line.variance) > config.get("COUNT_RECOUNT_UNITS", 5)
            or value_cents(line) > config.get("COUNT_RECOUNT_VALUE_CENTS", 50000))


def judge(task, user_id):
    """Settle what matches, send big variances to a recount, the rest to the supervisor.

    Returns what the counter is told: never the book quantity (the count is blind).
    """
    lines = task.lines
    if task.recount_of_id is None and any(over_threshold(line) for line in lines):
        for line in lines:
            line.status = "recount"
        task.status = "recount"
        db.session.add(CountTask(plan_id=task.plan_id, location_id=task.location_id,
                                 source=f"recount:{task.id}", recount_of_id=task.id,
                                 not_by_id=task.counter_id))
        db.session.flush()
        return _("Counted. This bin will be counted again by someone else.")
    for line in lines:
        if line.variance == 0:
            line.status = "ok"
            clear_block(task.location_id, user_id, _note(task, line), product_id=line.product_id)
        else:
            line.status = "pending"
    task.status = "counted"
    _close_if_settled(task)
    return _("Counted. Thank you.")


def _note(task, line, approved_by=None):
    """Why a block is cleared: the count that settled it."""
    text = f"count {task.id}: {line.counted_qty} counted"
    return text + (f", variance {line.variance:+d} approved" if approved_by else "")


def _close_if_settled(task):
    """Close a counted task once no line waits for a decision."""
    if task.status == "counted" and all(line.status != "pending" for line in task.lines):
        task.status = "closed"


def pending(limit=200):
    """Lines waiting for the supervisor, with their task, oldest first."""
    return db.session.scalars(select(CountLine).join(CountTask).where(
        CountLine.status == "pending").order_by(CountTask.counted_at, CountLine.id)
        .limit(limit)).all()


def first_count(task):
    """The count a recount checked (None for a first count)."""
    return db.session.get(CountTask, task.recount_of_id) if task.recount_of_id else None


def approve(line_ids, user_id, shown=None, changed=None):
    """Post each pending line's variance through the ledger; return how many.

    `shown` ({line id: units}) is what the screen said each line would post: a line
    that would now post something else (a pick ended meanwhile) is left pending and
    its id added to `changed`, so the ledger never posts what nobody was shown.
    """
    done = 0
    for line in _pending_lines(line_ids):
        if shown is not None and line.id in shown:
            lock_levels({line.product_id})  # the figures _post will read, held till commit
            if posting(line).units != shown[line.id]:
                if changed is not None:
                    changed.append(line.id)
                continue
        line.movement_id = _post(line, user_id)
        line.status, line.decided_by_id, line.decided_at = "approved", user_id, utcnow()
        clear_block(line.task.location_id, user_id, _note(line.task, line, user_id),
                    product_id=line.product_id)
        _close_if_settled(line.task)
        done += 1
    db.session.flush()
    return done


def reject(line_ids, user_id):
    """Keep the books as they are and count the bin again (its block stays)."""
    from .services import raise_count
    done = 0
    for line in _pending_lines(line_ids):
        line.status, line.decided_by_id, line.decided_at = "rejected", user_id, utcnow()
        _close_if_settled(line.task)
        db.session.flush()
        raise_count(line.task.location_id, user_id, source=f"rejected:{line.id}")
        done += 1
    return done


def _pending_lines(line_ids):
    """The named lines still pending, in id order (a line decided meanwhile is skipped)."""
    ids = [i for i in line_ids if isinstance(i, int)]
    if not ids:
        raise VarianceError(_("Choose at least one variance."))
    # Tasks, their lines and products in three queries for the whole page, not per line.
    return db.session.scalars(select(CountLine).where(
        CountLine.id.in_(ids), CountLine.status == "pending").order_by(CountLine.id)
        .options(selectinload(CountLine.product),
                 selectinload(CountLine.task).selectinload(CountTask.lines),
                 selectinload(CountLine.task).selectinload(CountTask.location))
        .with_for_update()).all()


@dataclass
class Posting:
    """What approving a line writes to the ledger, and why it may be less than shown.

    `units` is signed, as the ledger line will be. A shortage is posted only down to
    what picks under way still have reserved at the bin (their units are on the
    books until the pick ends); `held_back` units wait for those picks, which end
    short if the shelf lacks them (a short pick raises a new count).
    """

    units: int
    held_back: int = 0
    reserved_for_picks: int = 0
    pick_lists: tuple = ()
    reroute: bool = False  # other orders' reservations here are moved first


def posting(line):
    """The adjustment approving `line` makes now; _post writes exactly this."""
    if line.variance >= 0:
        return Posting(line.variance)
    level = db.session.scalar(select(StockLevel).where(
        StockLevel.product_id == line.product_id,
        StockLevel.location_id == line.task.location_id))
    missing = -line.variance
    if level is None or level.quantity == 0:
        return Posting(0, held_back=missing)
    if level.quantity - level.reserved >= missing:
        return Posting(-missing)
    under_way = picks_under_way(line.task.location_id, line.product_id)
    kept = db.session.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
        Reservation.id.in_([task.reservation_id for task in under_way]),
        Reservation.active.is_(True)))
    freed = db.session.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
        Reservation.location_id == line.task.location_id,
        Reservation.product_id == line.product_id, Reservation.active.is_(True))) - kept
    take = max(0, min(missing, level.quantity - (level.reserved - freed)))
    return Posting(-take, held_back=missing - take,
                   reserved_for_picks=max(0, kept - sum(t.picked_qty for t in under_way)),
                   pick_lists=tuple(sorted({t.pick_list_id for t in under_way})), reroute=True)


def _post(line, user_id):
    """The adjustment of posting(line), applied to the books as they are now."""
    task, source = line.task, f"count:{line.task_id}"
    if line.variance > 0:
        return move_stock(line.product_id, line.variance, reason="count", source=source,
                          to_location_id=task.location_id, user_id=user_id).id
    lock_levels({line.product_id})
    plan = posting(line)
    if plan.reroute:
        # Blocked first, so the orders are re-reserved at other bins, never this one;
        # approve() lifts the block once the adjustment is posted.
        block_location(task.location_id, line.product_id, user_id, "count", source=source)
        reroute_reservations(task.location_id, line.product_id, user_id)
    if plan.units == 0:
        return None
    return move_stock(line.product_id, -plan.units, reason="count", source=source,
                      from_location_id=task.location_id, user_id=user_id).id


def accuracy(days=30, plan_id=None):
    """账实相符率: share of counted locations without variance, and by value, over the
    last `days` (or for one plan). A recounted first count is not counted twice."""
    query = select(CountTask.id).where(CountTask.status.in_(("counted", "closed")))
    if plan_id is not None:
        query = query.where(CountTask.plan_id == plan_id)
    else:
        query = query.where(CountTask.counted_at >= utcnow() - timedelta(days=days))
    task_ids = query.subquery()
    rows = db.session.execute(
        select(CountLine.task_id, CountLine.counted_qty + CountLine.in_carts, CountLine.book_qty,
               func.coalesce(Product.unit_cost_cents, 0))
        .join(Product, Product.id == CountLine.product_id)
        .where(CountLine.task_id.in_(select(task_ids.c.id)))).all()
    tasks = set(db.session.scalars(select(task_ids.c.id)))
    off = {row[0] for row in rows if row[1] != row[2]}
    book_value = sum(row[2] * row[3] for row in rows)
    variance_value = sum(abs(row[1] - row[2]) * row[3] for row in rows)
    return {"locations": len(tasks), "matching": len(tasks - off),
            "share": (len(tasks - off) / len(tasks)) if tasks else None,
            "variance_cents": variance_value, "book_cents": book_value,
            "value_share": (1 - variance_value / book_value) if book_value else None}


def daily_accuracy(start, end):
    """[(local day, bins counted, without variance, variance value in cents)] of the
    counts finished between start and end (the KPI's table)."""
    from ..supervision.clock import local_time
    rows = db.session.execute(
        select(CountTask.id, CountTask.counted_at, CountLine.counted_qty + CountLine.in_carts,
               CountLine.book_qty, func.coalesce(Product.unit_cost_cents, 0))
        .join(CountLine, CountLine.task_id == CountTask.id)
        .join(Product, Product.id == CountLine.product_id)
        .where(CountTask.status.in_(("counted", "closed")), CountTask.counted_at >= start,
               CountTask.counted_at < end)).all()
    days = {}
    for task_id, counted_at, counted, book, cost in rows:
        day = days.setdefault(local_time(counted_at).strftime("%m-%d"),
                              {"bins": set(), "off": set(), "value": 0})
        day["bins"].add(task_id)
        if counted != book:
            day["off"].add(task_id)
            day["value"] += abs(counted - book) * cost
    return [(day, len(f["bins"]), len(f["bins"] - f["off"]), f["value"])
            for day, f in sorted(days.items())]
