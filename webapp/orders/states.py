"""The order state machine: which transitions exist, and recording each one."""
from sqlalchemy import insert, update

from ..audit import trail
from ..extensions import db
from ..timeutil import utcnow
from .models import Order, OrderEvent

TRANSITIONS = {
    "new": {"allocated", "short", "on_hold", "cancelled"},
    "on_hold": {"new", "cancelled"},
    "short": {"allocated", "on_hold", "cancelled", "new"},
    "allocated": {"picking", "new", "on_hold", "cancelled"},
    "picking": {"picked", "short", "cancelled"},
    "picked": {"packed", "cancelled"},
    "packed": {"handed_over", "cancelled"},  # cancelled: kept back from the courier
    "handed_over": set(),
    "cancelled": set(),
}


class TransitionError(ValueError):
    """A state change the machine does not allow."""


def can_transition(order, to_status):
    """True when the order may move from its current state to `to_status`."""
    return to_status in TRANSITIONS.get(order.status, set())


def transition(order, to_status, user_id=None, note=""):
    """Move an order to `to_status`, recording who, when and why."""
    if not can_transition(order, to_status):
        raise TransitionError(f"Order {order.number} cannot go from {order.status} to "
                              f"{to_status}.")
    db.session.add(OrderEvent(order_id=order.id, from_status=order.status,
                              to_status=to_status, user_id=user_id, note=note[:2000]))
    order.status = to_status
    return order


def transition_many(moves):
    """Move many orders at once in a few statements, as transition() one by one would:
    `moves` are (order_id, from_status, to_status, user_id, note) in the order they
    happen (their events are numbered so). The audit entries transition()'s flush
    would write are written here, with the person of the surrounding acting_as. The
    caller expires any loaded copy of the orders. Returns how many orders were still in
    their from_status (each is moved only if it was: a cancel committed since the caller
    read the orders is not overwritten; the caller undoes its work when that is short)."""
    for order_id, before, to, _user_id, _note in moves:
        if to not in TRANSITIONS.get(before, set()):
            raise TransitionError(f"Order {order_id} cannot go from {before} to {to}.")
    if not moves:
        return 0
    connection, now, table = db.session.connection(), utcnow(), Order.__table__
    moved = 0
    for before, to in sorted({(before, to) for _id, before, to, _user, _note in moves}):
        moved += connection.execute(update(table).where(table.c.id.in_(
            [order_id for order_id, was, status, _u, _n in moves
             if (was, status) == (before, to)]), table.c.status == before)
            .values(status=to, updated_at=now)).rowcount
    connection.execute(insert(OrderEvent), [
        {"order_id": order_id, "from_status": before, "to_status": to, "user_id": user_id,
         "note": note[:2000], "created_at": now}
        for order_id, before, to, user_id, note in moves])
    trail.record_many(db.session, "order", [(order_id, {"status": before}, {"status": to})
                                            for order_id, before, to, _u, _n in moves])
    return moved
