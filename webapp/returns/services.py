"""Logging a return (RMA): the order it comes from, what may come back, and why."""
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from ..catalog.barcodes import read_scan
from ..catalog.models import Product
from ..extensions import db
from ..handoff.aftersales import find_orders
from ..orders.models import Order, OrderLine
from ..packing.models import Parcel, Shipment
from ..receiving.inspection import InspectionError, check_photo
from . import states
from .models import (NUMBER_PREFIX, OPEN_STATES, REASONS, RESOLUTIONS, ReturnLine,
                     ReturnPhoto, ReturnRequest)

MAX_NOTE = 2000
MAX_PHOTOS = 5


class ReturnError(ValueError):
    """A return that cannot be logged or changed; the message is shown."""


def search_orders(text):
    """Orders by order barcode, channel number, tracking number, customer name or phone:
    after-sales' one search, after the one parse of a scanned code."""
    text = (text or "").strip()[:80]
    if not text:
        return []
    scanned = (read_scan(text).text or text).strip()
    return find_orders(scanned)


def shipped(line):
    """Units of an order line that left the warehouse: those counted at packing (复核)."""
    return line.verified_qty


def returned(order_line_id, exclude_return_id=None):
    """Units of an order line already on returns: what a return asks for, except a
    rejected one, which keeps only what actually came back."""
    query = (select(func.coalesce(func.sum(
        case((ReturnRequest.status == "rejected", ReturnLine.received_qty),
                else_=ReturnLine.quantity)), 0))
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(ReturnLine.order_line_id == order_line_id, ReturnLine.unexpected.is_(False)))
    if exclude_return_id is not None:
        query = query.where(ReturnRequest.id != exclude_return_id)
    return db.session.scalar(query)


def returnable(order):
    """[(line, shipped, already returned, still returnable)] of a handed-over order."""
    rows = []
    for line in order.lines:
        if line.product_id is None:
            continue
        done = returned(line.id)
        rows.append((line, shipped(line), done, max(shipped(line) - done, 0)))
    return rows


def refusal(order):
    """Why no return can be opened for this order, or None."""
    if order is None:
        return _("No such order.")
    if order.status != "handed_over":
        return _("Order %(number)s was never handed over to a carrier (it is %(state)s): "
                 "nothing was shipped, so nothing can come back.", number=order.number,
                 state=order.status)
    if not any(left for *_rest, left in returnable(order)):
        return _("Every shipped unit of order %(number)s is already on a return.",
                 number=order.number)
    return None


def open_return(order_id, user_id, quantities, *, reason, resolution, reason_note="",
                replacements=None, photos=(), return_tracking=""):
    """Log a return: {order_line_id: units}, why, and refund or exchange; return it.

    `replacements` maps an order line to the SKU the customer wants instead (exchange).
    """
    order = db.session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    problem = refusal(order)
    if problem:
        raise ReturnError(problem)
    _check_reason(reason, reason_note, resolution)
    rma = ReturnRequest(order_id=order.id, status="requested", reason=reason,
                        reason_note=(reason_note or "").strip()[:MAX_NOTE],
                        resolution=resolution, created_by_id=user_id,
                        return_tracking=_tracking(return_tracking))
    rma.lines = _lines(order, quantities, resolution, replacements or {})
    rma.photos = [ReturnPhoto(content_type=kind, data=data) for data, kind in
                  _photos(photos)]
    db.session.add(rma)
    db.session.flush()
    states.record_creation(rma, user_id, rma.reason_note)
    db.session.flush()
    return rma


def _check_reason(reason, note, resolution):
    """The reason must be one of the list; 'other' needs words; refund or exchange."""
    if reason not in REASONS:
        raise ReturnError(_("Choose why the customer returns the items."))
    if reason == "other" and not (note or "").strip():
        raise ReturnError(_("Say why the customer returns the items (reason: other)."))
    if resolution not in RESOLUTIONS:
        raise ReturnError(_("Choose what the customer wants: a refund or an exchange."))


def _lines(order, quantities, resolution, replacements):
    """Return lines within what each order line still may return."""
    lines = []
    limits = {line.id: (line, left) for line, _s, _d, left in returnable(order)}
    for line_id, units in quantities.items():
        if units in (None, 0):
            continue
        if line_id not in limits:
            raise ReturnError(_("That line is not part of order %(number)s.",
                                number=order.number))
        line, left = limits[line_id]
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            raise ReturnError(_("Quantities must be whole numbers."))
        if units > left:
            raise ReturnError(_("%(sku)s: at most %(left)d can come back (%(shipped)d shipped, "
                                "%(done)d already on returns).", sku=line.sku, left=left,
                                shipped=shipped(line), done=shipped(line) - left))
        lines.append(ReturnLine(order_line_id=line.id, product_id=line.product_id,
                                quantity=units,
                                replacement_product_id=_replacement(
                                    line, replacements.get(line_id), resolution)))
    if not lines:
        raise ReturnError(_("Choose at least one unit to return."))
    return lines


def _replacement(line, sku, resolution):
    """The product sent instead (exchange): the SKU asked for, else the same one."""
    if resolution != "exchange":
        return None
    sku = (sku or "").strip()
    if not sku:
        return line.product_id
    product_id = db.session.scalar(select(Product.id).where(Product.sku == sku[:64],
                                                            Product.active.is_(True)))
    if product_id is None:
        raise ReturnError(_("No product %(sku)s to send as the replacement.", sku=sku[:64]))
    return product_id


def _photos(photos):
    """Checked photos (data, content type): size and type, at most MAX_PHOTOS."""
    photos = [p for p in photos if p]
    if len(photos) > MAX_PHOTOS:
        raise ReturnError(_("At most %(n)d photos.", n=MAX_PHOTOS))
    try:
        return [check_photo(data) for data in photos]
    except InspectionError as error:
        raise ReturnError(str(error)) from error


def _tracking(text):
    """A return waybill number as the scan reads it, upper case, at most 40 characters."""
    text = (read_scan(text).text or "").strip().upper() if text else ""
    if len(text) > 40:
        raise ReturnError(_("A tracking number is at most 40 characters."))
    return text


def add_photo(return_id, data):
    """Attach one more photo to an open return."""
    rma = get_open(return_id)
    if len(rma.photos) >= MAX_PHOTOS:
        raise ReturnError(_("At most %(n)d photos.", n=MAX_PHOTOS))
    ((data, kind),) = _photos([data])
    rma.photos.append(ReturnPhoto(content_type=kind, data=data))
    db.session.flush()
    return rma


def locked(return_id):
    """The return, locked till commit and read again under the lock (None when there is
    none): two people acting on one return (two dock scans, a double click on refund)
    act one after the other, each on what the one before wrote. FOR NO KEY UPDATE:
    its lines', events' and notices' foreign-key checks are not blocked."""
    return db.session.scalar(select(ReturnRequest).where(ReturnRequest.id == return_id)
                             .with_for_update(key_share=True)
                             .execution_options(populate_existing=True))


def get_open(return_id):
    """A return that is not closed, or ReturnError."""
    rma = locked(return_id)
    if rma is None:
        raise ReturnError(_("No such return."))
    if rma.status not in OPEN_STATES:
        raise ReturnError(_("Return %(number)s is closed.", number=rma.number))
    return rma


def label_sent(return_id, user_id):
    """The return label went to the customer: the parcel is awaited at the dock."""
    rma = get_open(return_id)
    states.transition(rma, "awaiting_arrival", user_id)
    return rma


def by_code(raw):
    """The return a scan names: its label (RMA00000012), its return waybill, or the
    tracking number of the parcel it went out in (the newest return still expected)."""
    text = (read_scan(raw).text or "").strip().upper()
    if not text or len(text) > 40:
        return None
    digits = text[len(NUMBER_PREFIX):] if text.startswith(NUMBER_PREFIX) else ""
    if digits.isascii() and digits.isdigit() and len(digits) <= 9:
        return db.session.get(ReturnRequest, int(digits))
    order_ids = select(Shipment.order_id).join(Parcel).where(Parcel.tracking_number == text)
    return db.session.scalar(
        select(ReturnRequest).where((ReturnRequest.return_tracking == text)
                                    | ReturnRequest.order_id.in_(order_ids))
        .order_by(ReturnRequest.status.in_(states.RECEIVABLE).desc(), ReturnRequest.id.desc())
        .limit(1))


def receivable(limit=100):
    """The returns the dock may receive now, those already arriving first."""
    return db.session.scalars(select(ReturnRequest).where(
        ReturnRequest.status.in_(states.RECEIVABLE))
        .order_by(ReturnRequest.status.desc(), ReturnRequest.id).limit(limit)).all()


def open_returns(user_id=None, limit=200):
    """Returns not closed yet, oldest first; only those `user_id` logged when given."""
    query = select(ReturnRequest).where(ReturnRequest.status.in_(OPEN_STATES))
    if user_id is not None:
        query = query.where(ReturnRequest.created_by_id == user_id)
    return db.session.scalars(query.order_by(ReturnRequest.created_at, ReturnRequest.id)
                              .limit(limit)).all()


def returns_of_order(order_id):
    """Every return of an order, newest first."""
    return db.session.scalars(select(ReturnRequest).where(ReturnRequest.order_id == order_id)
                              .order_by(ReturnRequest.id.desc())).all()


def order_line(line_id):
    """An order line by id (for forms), or None."""
    return db.session.get(OrderLine, line_id)


def open_counts():
    """Returns open, expected at the dock, being received, and inspected (to decide)."""
    rows = dict(db.session.execute(select(ReturnRequest.status, func.count(ReturnRequest.id))
                                   .where(ReturnRequest.status.in_(OPEN_STATES))
                                   .group_by(ReturnRequest.status)).all())
    return {"open": sum(rows.values()),
            "expected": rows.get("requested", 0) + rows.get("awaiting_arrival", 0),
            "receiving": rows.get("received", 0), "decide": rows.get("inspected", 0)}


def home_work(shown=5):
    """Customer service's home: the oldest open returns and the counts by stage."""
    return {"returns": open_returns(limit=shown), **open_counts()}
