"""After inspection: refund, exchange (a real replacement order) or reject; then close."""
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from ..orders.intake import intake
from . import channels, states
from .services import ReturnError, locked

MAX_AMOUNT = Decimal("9999999999.99")


def _inspected(return_id):
    """A return whose units were inspected, or ReturnError."""
    rma = locked(return_id)
    if rma is None:
        raise ReturnError(_("No such return."))
    if rma.status != "inspected":
        raise ReturnError(_("Return %(number)s is not inspected yet (it is %(state)s).",
                            number=rma.number, state=rma.status))
    return rma


# Reasons where a unit failing inspection confirms the customer's complaint: it is
# refunded too. For every other reason only the units that passed are.
FAULT_REASONS = ("defective", "damaged_in_transit")


def accepted_units(rma, line):
    """Units of a return line the refund pays for: announced units that came back and
    passed inspection, or (for a fault reason) came back at all. Unexpected items are
    not paid: customer service decides on them."""
    if line.unexpected or line.order_line is None:
        return 0
    return line.received_qty if rma.reason in FAULT_REASONS else line.passed_qty


def amount_due(rma):
    """Accepted units × their order line's unit price, or None when a line with accepted
    units has no price (never a guessed number)."""
    cents = 0
    for line in rma.lines:
        units = accepted_units(rma, line)
        if units and line.order_line.unit_price_cents is None:
            return None
        cents += units * (line.order_line.unit_price_cents or 0)
    due = Decimal(cents) / 100
    return due.quantize(Decimal("0.01")) if due <= MAX_AMOUNT else None


def refund(return_id, user_id, amount, reference, note=""):
    """The customer was refunded `amount` (channel reference): record it."""
    rma = _inspected(return_id)
    try:
        value = Decimal(str(amount).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or not Decimal(0) <= value <= MAX_AMOUNT:
        raise ReturnError(_("The refund amount must be a number like 129.00."))
    reference = (reference or "").strip()
    if not reference or len(reference) > 64:
        raise ReturnError(_("Give the refund's reference (at most 64 characters)."))
    rma.refund_amount, rma.refund_reference = value, reference
    states.transition(rma, "refunded", user_id, note)
    channels.notice_for(rma, "refund")
    return rma


def exchange(return_id, user_id, note=""):
    """Send the replacement: a new order through the normal intake, linked to the return.

    It holds one line per returned product (the replacement SKU, the units received),
    to the original order's address and carrier, and flows on through allocation,
    waves, picking and packing like any order."""
    rma = _inspected(return_id)
    if rma.resolution != "exchange":
        raise ReturnError(_("The customer asked for a refund, not an exchange."))
    lines = [{"sku": (line.replacement or line.product).sku, "quantity": line.received_qty}
             for line in rma.lines if not line.unexpected and line.received_qty]
    if not lines:
        raise ReturnError(_("Nothing announced on this return came back: nothing to replace."))
    order = rma.order
    result = intake({"channel": order.channel,
                     "order_no": f"{order.channel_order_no}-{rma.number}"[-64:],
                     "carrier": order.carrier, "priority": order.priority,
                     "address": order.address(), "lines": lines}, user_id)
    if result.outcome not in ("created", "held", "duplicate") or result.order_id is None:
        raise ReturnError(_("The replacement order was refused: %(problems)s",
                            problems="; ".join(result.problems)))
    rma.replacement_order_id = result.order_id
    states.transition(rma, "exchanged", user_id, note)
    channels.notice_for(rma, "exchange")
    return rma


def reject(return_id, user_id, note):
    """Refuse the return (before or after inspection), with the reason."""
    rma = locked(return_id)
    if rma is None:
        raise ReturnError(_("No such return."))
    note = (note or "").strip()
    if not note:
        raise ReturnError(_("Say why the return is rejected."))
    rma.decision_note = note[:2000]
    try:
        states.transition(rma, "rejected", user_id, note)
    except states.TransitionError as error:
        raise ReturnError(str(error)) from error
    return rma


def close(return_id, user_id, note=""):
    """Close a refunded, exchanged or rejected return."""
    rma = locked(return_id)
    if rma is None:
        raise ReturnError(_("No such return."))
    try:
        states.transition(rma, "closed", user_id, note)
    except states.TransitionError as error:
        raise ReturnError(str(error)) from error
    return rma
