"""The receipt state machine: which transitions exist, and recording each one."""
from ..extensions import db
from .models import ReceiptEvent

TRANSITIONS = {
    "expected": {"receiving", "cancelled"},
    "receiving": {"received", "cancelled"},
    "received": {"put_away"},
    "put_away": set(),
    "cancelled": set(),
}


class TransitionError(ValueError):
    """A state change the machine does not allow; the message is shown."""


def record_creation(receipt, user_id=None, note=""):
    """The first event: the receipt came in (held or not)."""
    db.session.add(ReceiptEvent(receipt_id=receipt.id, from_status=None,
                                to_status=receipt.status, user_id=user_id, note=note[:2000]))


def transition(receipt, to_status, user_id=None, note=""):
    """Move a receipt to `to_status`, recording who, when and why."""
    if to_status not in TRANSITIONS.get(receipt.status, set()):
        raise TransitionError(f"Receipt {receipt.number} cannot go from {receipt.status} to "
                              f"{to_status}.")
    db.session.add(ReceiptEvent(receipt_id=receipt.id, from_status=receipt.status,
                                to_status=to_status, user_id=user_id, note=note[:2000]))
    receipt.status = to_status
    return receipt
