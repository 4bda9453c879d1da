"""The order state machine: which transitions exist, and recording each one."""
from ..extensions import db
from .models import OrderEvent

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
