"""A held receipt put right by a supervisor: fix a bad line or drop it, then release.

Intake holds a receipt whose lines name an unknown SKU or a quantity that is not a
positive whole number; the receiver cannot receive it until every line is sound
(its expected units would be wrong). Each fix is checked as intake checks a line,
and recorded in the receipt's history with who and when.
"""
from flask_babel import gettext as _
from sqlalchemy import select

from ..catalog.models import Product
from ..extensions import db
from .intake import _line
from .models import ReceiptEvent, ReceiptLine
from .services import OPEN_STATES, ReceivingError


def fix_line(line_id, user_id, sku, quantity, lot=None):
    """Give a held line a known SKU and a sound quantity; release the receipt when
    no bad line is left. Returns the problem still on the line ('' when fixed)."""
    line = _held_line(line_id)
    sku = (sku or "").strip()
    product = db.session.scalar(select(Product).where(Product.sku == sku)) if sku else None
    checked = _line(line.line_no, {"sku": sku, "quantity": quantity,
                                   "lot": line.lot if lot is None else lot,
                                   "expiry": line.expiry and line.expiry.isoformat()},
                    {sku: product} if product else {})
    line.sku, line.product, line.expected_qty = checked.sku, checked.product, checked.expected_qty
    line.lot, line.problem = checked.lot, checked.problem
    if line.problem:
        db.session.flush()
        return line.problem
    _note(line.receipt, user_id, _("Line %(n)d fixed: %(sku)s × %(qty)d.", n=line.line_no,
                                   sku=line.sku, qty=line.expected_qty))
    _release_if_sound(line.receipt, user_id)
    return ""


def drop_line(line_id, user_id):
    """Take a bad line off a held receipt (the goods are not coming, or are not ours)."""
    line = _held_line(line_id)
    receipt = line.receipt
    if len(receipt.lines) == 1:
        raise ReceivingError(_("This is the receipt's only line: cancel the receipt instead."))
    _note(receipt, user_id, _("Line %(n)d dropped (%(sku)s: %(problem)s).", n=line.line_no,
                              sku=line.sku or "—", problem=line.problem))
    receipt.lines.remove(line)
    db.session.flush()
    _release_if_sound(receipt, user_id)


def _held_line(line_id):
    """A bad line of a receipt still open, nothing received on it; else ReceivingError."""
    line = db.session.get(ReceiptLine, line_id)
    if line is None:
        raise ReceivingError(_("Unknown line."))
    if line.receipt.status not in OPEN_STATES:
        raise ReceivingError(_("Receipt %(number)s is %(state)s.", number=line.receipt.number,
                               state=line.receipt.status))
    if not line.problem or line.received_qty:
        raise ReceivingError(_("Only a line with a problem and nothing received can be "
                               "fixed or dropped."))
    return line


def _release_if_sound(receipt, user_id):
    """No bad line left: the receiver may receive it."""
    if receipt.held and not any(line.problem for line in receipt.lines):
        receipt.held = False
        _note(receipt, user_id, _("Released for receiving."))
    db.session.flush()


def _note(receipt, user_id, note):
    """A line in the receipt's history (who, when, what) without a change of state."""
    db.session.add(ReceiptEvent(receipt_id=receipt.id, from_status=receipt.status,
                                to_status=receipt.status, user_id=user_id, note=note[:2000]))
