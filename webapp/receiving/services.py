"""Receiving on the handheld: open a receipt, accept scanned units, inspect, close."""
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..catalog.barcodes import read_scan
from ..catalog.models import Location
from ..catalog.services import CatalogError, product_row_for_scan, resolve_code
from ..accounts.models import User
from ..extensions import db
from ..signatures.services import store_signature
from ..signatures.svg import SignatureRejected
from ..supervision.clock import warehouse_zone
from ..timeutil import utcnow
from . import inspection, putaway, states
from .models import NUMBER_PREFIX, RECEIPT_STATES, PutawayRun, Receipt, ReceiptLine

OPEN_STATES = ("expected", "receiving")
MAX_SCAN_QTY = 100_000


class ReceivingError(ValueError):
    """A receiving action that cannot be done; the message is shown."""


@dataclass
class ScanOutcome:
    """What a receiving scan did. `needs_reason` ('over' / 'unexpected') asks the person
    why before the units are accepted; `code` and `qty` are kept to accept them then."""

    ok: bool
    message: str
    needs_reason: str | None = None
    code: str = ""
    qty: int = 0
    line_id: int | None = None


def receipt_by_code(raw):
    """The receipt a scanned 明细表 barcode (RCP00000012) or typed number names, or None."""
    text = (raw or "").strip().upper()
    digits = text[len(NUMBER_PREFIX):] if text.startswith(NUMBER_PREFIX) else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
        return None
    return db.session.get(Receipt, int(digits))


def open_receipt(receipt_id):
    """A receipt that can still be received, or ReceivingError saying why not.

    Locked till commit, and read again under the lock: two receivers' scans of one
    receipt, its close and its cancel happen one after the other, each judging the
    lines the one before wrote (else both count a line's last unit from the same
    figure, and one of them is lost)."""
    receipt = db.session.scalar(select(Receipt).where(Receipt.id == receipt_id)
                                .with_for_update(key_share=True)
                                .execution_options(populate_existing=True))
    if receipt is None:
        raise ReceivingError(_("No such receipt."))
    if receipt.status not in OPEN_STATES:
        raise ReceivingError(_("Receipt %(number)s is %(state)s.", number=receipt.number,
                               state=receipt.status))
    return receipt


def receivable(receipt_id):
    """An open receipt that is not held for a bad line, or ReceivingError saying why."""
    receipt = open_receipt(receipt_id)
    if receipt.held:
        raise ReceivingError(held_message(receipt))
    return receipt


def held_message(receipt):
    """Why a held receipt cannot be received yet."""
    return _("Receipt %(number)s is held: a supervisor must fix or drop its bad lines "
             "first.", number=receipt.number)


def receipts_in(status=""):
    """The newest 200 receipts (of one state when status names one), and how many
    receipts each state holds."""
    query = select(Receipt).order_by(Receipt.id.desc()).limit(200)
    if status in RECEIPT_STATES:
        query = query.where(Receipt.status == status)
    counts = dict(db.session.execute(select(Receipt.status, func.count(Receipt.id))
                                     .group_by(Receipt.status)).all())
    return db.session.scalars(query).all(), counts


def today_receipts(today=None):
    """Receipts to work on: those being received, then those expected by today."""
    today = today or warehouse_today()
    return db.session.scalars(select(Receipt).where(
        (Receipt.status == "receiving")
        | ((Receipt.status == "expected")
           & ((Receipt.expected_date <= today) | Receipt.expected_date.is_(None))))
        .order_by(Receipt.status.desc(), Receipt.expected_date, Receipt.id).limit(100)).all()


def warehouse_today():
    """The warehouse's local date (WAREHOUSE_TIMEZONE), which expected dates are in."""
    return utcnow().astimezone(warehouse_zone()).date()


def receiving_area(receipt):
    """Where passed units wait for put-away: the receipt's dock, else the first dock."""
    if receipt.dock_id:
        return receipt.dock_id
    dock = db.session.scalar(select(Location.id).where(
        Location.type == "receiving", Location.active.is_(True)).order_by(Location.code))
    if dock is None:
        raise ReceivingError(_("There is no receiving area; an admin must add one."))
    return dock


def source_of(receipt, line):
    """The inspection source for a receipt line."""
    return inspection.Source("receipt", receipt.id, line.id, receiving_area(receipt), "receipt")


def scan(receipt_id, user_id, code, quantity=1, *, device_id=None, accept_note="",
         outcome="pass", reason=None, note="", photos=(), line_id=None):
    """Judge a scanned unit (or `quantity` of them) and accept it if it fits."""
    receipt = receivable(receipt_id)
    if isinstance(quantity, bool) or not isinstance(quantity, int) \
            or not 0 < quantity <= MAX_SCAN_QTY:
        return ScanOutcome(False, _("Quantity must be a whole number from 1 to 100000."))
    scan_read = read_scan(code)  # the one parser: GS1 lot (AI 10) and expiry (AI 17)
    product = product_row_for_scan(scan_read)
    if product is None:  # a location, or why the code is refused
        try:
            _kind, location = resolve_code(code)
        except CatalogError as error:
            return ScanOutcome(False, str(error))
        return ScanOutcome(False, _("%(code)s is a location, not an item.", code=location.code))
    lot, expiry = scan_read.lot or "", scan_read.expiry
    line = _line_for(receipt, product.id, lot, line_id)
    problem = _problem(receipt, line, product, quantity)
    if problem and _refuses(problem):
        return ScanOutcome(False, _refusal_message(problem))
    if problem and not (accept_note or "").strip():
        return ScanOutcome(False, _ask_message(problem, product, line), needs_reason=problem,
                           code=code, qty=quantity, line_id=line.id if line else None)
    line = line or _unexpected_line(receipt, product)
    if problem:
        line.accept_note = (line.accept_note + f"\n{accept_note.strip()}").strip()[:2000]
    inspection.inspect(source_of(receipt, line), product.id, quantity, outcome, reason=reason,
                       note=note, lot=lot or line.lot, expiry=expiry or line.expiry,
                       photos=photos, user_id=user_id, device_id=device_id)
    _count(receipt, line, quantity, outcome, user_id)
    return ScanOutcome(True, _accepted_message(product, quantity, outcome, lot, expiry),
                       line_id=line.id)


def _line_for(receipt, product_id, lot, line_id):
    """The line a unit belongs to: the one named, else one of its product (same lot
    first), preferring a line with units still to come. Only the product's lines are
    read: a receipt may have thousands."""
    lines = db.session.scalars(select(ReceiptLine).where(
        ReceiptLine.receipt_id == receipt.id, ReceiptLine.product_id == product_id,
        ReceiptLine.problem.is_(None)).execution_options(populate_existing=True)).all()
    if line_id is not None:
        lines = [line for line in lines if line.id == line_id] or lines
    lines.sort(key=lambda line: (bool(lot) and line.lot != lot,
                                 line.received_qty >= line.expected_qty, line.line_no))
    return lines[0] if lines else None


def _problem(receipt, line, product, quantity):
    """'unexpected' (not on the 明细表), 'over' (more than expected) or None."""
    if line is None:
        return "unexpected"
    if line.received_qty + quantity > line.expected_qty and not line.unexpected:
        return "over"
    return None


def _refuses(problem):
    """True when settings say such units are refused rather than accepted with a reason."""
    key = "RECEIVING_REFUSE_UNEXPECTED" if problem == "unexpected" else "RECEIVING_REFUSE_OVER"
    return bool(current_app.config.get(key))


def _refusal_message(problem):
    """Why the unit was refused outright."""
    if problem == "unexpected":
        return _("Not on this receipt: refused. Put it aside for the supervisor.")
    return _("More than expected: refused. Put the extra units aside.")


def _ask_message(problem, product, line):
    """The loud question before accepting an unexpected item or an over-receipt."""
    if problem == "unexpected":
        return _("%(sku)s is not on this receipt. Give a reason to accept it.",
                 sku=product.sku)
    return _("More than expected for %(sku)s (%(got)d of %(expected)d received). "
             "Give a reason to accept.", sku=product.sku, got=line.received_qty,
             expected=line.expected_qty)


def _accepted_message(product, quantity, outcome, lot, expiry):
    """What the person hears after an accepted scan."""
    text = (_("%(qty)d × %(sku)s received (合格).", qty=quantity, sku=product.sku)
            if outcome == "pass" else
            _("%(qty)d × %(sku)s to the defective store (残品库).", qty=quantity,
              sku=product.sku))
    if lot or expiry:
        text += " " + _("Lot %(lot)s, expiry %(expiry)s.", lot=lot or "-",
                        expiry=expiry.isoformat() if expiry else "-")
    return text


def _unexpected_line(receipt, product):
    """A new line for an item that came without being on the 明细表."""
    last = db.session.scalar(select(func.max(ReceiptLine.line_no)).where(
        ReceiptLine.receipt_id == receipt.id))
    line = ReceiptLine(receipt_id=receipt.id, line_no=(last or 0) + 1, sku=product.sku,
                       product_id=product.id, expected_qty=0, unexpected=True)
    db.session.add(line)
    db.session.flush()
    return line


def _count(receipt, line, quantity, outcome, user_id):
    """Add the units to the line, and start the receipt on its first unit."""
    line.received_qty += quantity
    if outcome == "pass":
        line.passed_qty += quantity
    else:
        line.failed_qty += quantity
    if receipt.status == "expected":
        receipt.receiver_id = user_id
        states.transition(receipt, "receiving", user_id)
    db.session.flush()


def close(receipt_id, user_id, delivered_by, company, *, receiver_svg, deliverer_svg,
          note="", device_id=None):
    """Close a receipt (received) with both signatures and create its put-away run."""
    receipt = receivable(receipt_id)
    if not any(line.received_qty for line in receipt.lines):
        raise ReceivingError(_("Nothing was received; cancel the receipt instead."))
    delivered_by, company = (delivered_by or "").strip(), (company or "").strip()
    if not delivered_by or not company:
        raise ReceivingError(_("Name and company of the delivering party are required."))
    receipt.delivered_by, receipt.delivered_company = delivered_by[:120], company[:120]
    receiver = db.session.get(User, user_id)
    try:
        store_signature(receiver_svg, "receipt", receipt.id, receiver.display_name,
                        signer_role="receiver", signed_by_user_id=user_id, device_id=device_id)
        store_signature(deliverer_svg, "receipt", receipt.id, delivered_by,
                        signer_company=company, signer_role="deliverer", device_id=device_id)
    except SignatureRejected as error:
        raise ReceivingError(str(error)) from error
    receipt.closed_at = utcnow()
    states.transition(receipt, "received", user_id, note)
    run = PutawayRun(source_kind="receipt", source_id=receipt.id, requested_by_id=user_id)
    db.session.add(run)
    db.session.flush()
    return run


def cancel(receipt_id, user_id, note=""):
    """Cancel a receipt nothing was received on yet."""
    receipt = open_receipt(receipt_id)
    if any(line.received_qty for line in receipt.lines):
        raise ReceivingError(_("Units were already received; close the receipt instead."))
    states.transition(receipt, "cancelled", user_id, note)
    return receipt


def totals(receipt):
    """Expected, received, passed and failed units of a receipt."""
    return {key: sum(getattr(line, f"{key}_qty") for line in receipt.lines)
            for key in ("expected", "received", "passed", "failed")}


def _receipt_items(receipt_id):
    """Passed units of a closed receipt, waiting in its receiving area."""
    receipt = db.session.get(Receipt, receipt_id)
    area = receiving_area(receipt)
    return [putaway.Item(line.id, line.product_id, line.passed_qty, area)
            for line in receipt.lines if line.passed_qty]


def _receipt_put_away(receipt_id, user_id):
    """Every passed unit is in a bin: the receipt is put away."""
    receipt = db.session.get(Receipt, receipt_id)
    if receipt.status == "received":
        states.transition(receipt, "put_away", user_id)


def _receipt_label(receipt_id):
    """A receipt as the receiver knows it: its number."""
    receipt = db.session.get(Receipt, receipt_id)
    return receipt.number if receipt else ""


putaway.register_source("receipt", items=_receipt_items, finished=_receipt_put_away,
                        label=_receipt_label)


def today_counts(today=None):
    """Receipts expected by today, being received, and closed awaiting put-away."""
    today = today or warehouse_today()
    rows = dict(db.session.execute(select(Receipt.status, func.count(Receipt.id)).where(
        (Receipt.status.in_(("receiving", "received")))
        | ((Receipt.status == "expected")
           & ((Receipt.expected_date <= today) | Receipt.expected_date.is_(None))))
        .group_by(Receipt.status)).all())
    return {"expected": rows.get("expected", 0), "receiving": rows.get("receiving", 0),
            "putaway": rows.get("received", 0)}
