"""Put-back of a packed order cancelled before handoff, by the put-away walk (上架).

Packing moved the order's units from the packing area to the shipping dock; once
the order is cancelled they belong in bins again. The put-away service takes the
cancelled order as its source: the planning job gives every unit a bin, the
receiver walks the run from the Receiving screen, and each task moves the units
from the dock to the bin through the ledger. When the last is done the order's
"cancelled after packing" exception is resolved.
"""
from collections import defaultdict

from sqlalchemy import func, select

from ..catalog.models import StockMovement
from ..extensions import db
from ..receiving import putaway
from ..timeutil import utcnow
from .models import Order, OrderException

KIND = "order"


def request_putback(order_id, user_id):
    """Create the cancelled order's put-back run (queued); the caller commits, then
    queues its planning job with `queue_putback`."""
    return putaway.request_run(KIND, order_id, user_id)


def queue_putback(order_id):
    """Queue the planning job of the order's put-back run, if it waits for one."""
    from ..queues import enqueue_for
    from ..receiving.jobs import plan_putaway
    run = putaway.run_for(KIND, order_id)
    if run is not None and run.status == "queued" and run.job_id is None:
        enqueue_for(run, "default", plan_putaway, run.id, job_timeout=1800)
    return run


def _items(order_id):
    """The order's packed units, where packing left them (the ledger's pack lines)."""
    rows = db.session.execute(
        select(StockMovement.product_id, StockMovement.to_location_id,
               func.sum(StockMovement.quantity))
        .where(StockMovement.source == f"order:{order_id}", StockMovement.reason == "pack")
        .group_by(StockMovement.product_id, StockMovement.to_location_id)
        .order_by(StockMovement.product_id, StockMovement.to_location_id)).all()
    order = db.session.get(Order, order_id)
    line_of = defaultdict(lambda: None, {line.product_id: line.id for line in order.lines})
    return [putaway.Item(line_of[product_id], product_id, int(quantity), location_id)
            for product_id, location_id, quantity in rows if quantity > 0]


def _finished(order_id, user_id):
    """Every unit is back in a bin: the supervisor's to-do is done."""
    for exception in db.session.scalars(select(OrderException).where(
            OrderException.order_id == order_id, OrderException.kind == "cancelled_packed",
            OrderException.resolved_at.is_(None))):
        exception.resolved_at, exception.resolved_by_id = utcnow(), user_id


def _label(order_id):
    """The cancelled order as the receiver reads it: its number."""
    order = db.session.get(Order, order_id)
    return order.number if order else ""


putaway.register_source(KIND, items=_items, finished=_finished, label=_label)
