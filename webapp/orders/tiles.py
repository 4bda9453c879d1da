"""The orders domain's tiles on the supervisor's console: orders per state and per
carrier cut-off, and the open exceptions with their age."""
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..supervision.clock import age_seconds, day_bounds
from ..supervision.tiles import register_tile
from ..timeutil import utcnow
from .models import ORDER_STATES, Order, OrderEvent, OrderException

# Orders not yet packed: the ones a cut-off can still be missed for.
NOT_SHIPPED = ("new", "allocated", "picking", "picked", "on_hold", "short")
# States an order never leaves: they only grow, so the tile counts today's arrivals in
# them (from the order events) instead of every order since the first.
FINAL = ("handed_over", "cancelled")
# Named, not "not final": IN reads a range of the status index; NOT IN reads every order.
OPEN = tuple(state for state in ORDER_STATES if state not in FINAL)


@register_tile("orders", _l("Orders"), template="orders/_tile.html", order=10,
               link="orders.index")
def orders_tile():
    """Orders per open state, how many reached a final state today; per carrier: due
    today, at risk, late against the cut-off."""
    now = utcnow()
    counts = dict(db.session.execute(select(Order.status, func.count())
                                     .where(Order.status.in_(OPEN))
                                     .group_by(Order.status)).all())
    start, end = day_bounds(now)
    today = dict(db.session.execute(
        select(OrderEvent.to_status, func.count(OrderEvent.order_id.distinct()))
        .where(OrderEvent.to_status.in_(FINAL), OrderEvent.created_at >= start,
               OrderEvent.created_at < end).group_by(OrderEvent.to_status)).all())
    return {"states": [(state, counts.get(state, 0)) for state in OPEN],
            "today": [(state, today.get(state, 0)) for state in FINAL],
            "carriers": cutoff_by_carrier(now)}


def cutoff_by_carrier(now):
    """Per carrier, orders not yet packed whose cut-off is later today (due), within
    CUTOFF_AT_RISK_MINUTES (at risk, also counted as due) or already passed (late)."""
    _start, end = day_bounds(now)
    risk_end = now + timedelta(minutes=current_app.config["CUTOFF_AT_RISK_MINUTES"])
    rows = db.session.execute(
        select(Order.carrier,
               func.count().filter(Order.cutoff_at >= now, Order.cutoff_at < end),
               func.count().filter(Order.cutoff_at >= now, Order.cutoff_at < risk_end),
               func.count().filter(Order.cutoff_at < now))
        .where(Order.status.in_(NOT_SHIPPED), Order.cutoff_at.is_not(None))
        .group_by(Order.carrier).order_by(Order.carrier)).all()
    return [{"carrier": carrier, "due_today": due, "at_risk": risk, "late": late}
            for carrier, due, risk, late in rows if due or risk or late]


@register_tile("exceptions", _l("Exceptions"), template="orders/_tile_exceptions.html",
               order=30, link="orders.exceptions")
def exceptions_tile():
    """Open exceptions per kind with the age of the oldest."""
    now = utcnow()
    rows = db.session.execute(
        select(OrderException.kind, func.count(), func.min(OrderException.created_at))
        .where(OrderException.resolved_at.is_(None))
        .group_by(OrderException.kind).order_by(func.min(OrderException.created_at))).all()
    kinds = [{"kind": kind, "count": count, "oldest": age_seconds(oldest, now)}
             for kind, count, oldest in rows]
    return {"kinds": kinds, "total": sum(k["count"] for k in kinds)}
