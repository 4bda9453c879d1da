"""Packing: find the order, verify every unit (复核), pack into parcels (booking.py books them)."""
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from ..catalog.barcodes import read_scan
from ..catalog.services import product_for_scan, refusal
from ..catalog.models import Location
from ..catalog.stock import move_stock
from ..extensions import db
from ..orders.models import Order
from ..orders.states import transition
from ..picking.models import PickTask
from ..picking.services import staging_location_id
from ..templating import ORDER_STATE_LABELS
from ..timeutil import utcnow
from . import boxes, carriers
from .models import Parcel, Shipment

MAX_PARCELS = 20
MAX_VERIFY_QTY = 100_000
MAX_WEIGHT_G = 70_000
MAX_SIDE_MM = 3_000
# What is printed on a cart slot: pick list 12, slot 3 -> PL12-3.
CART_SLOT = re.compile(r"PL(\d+)-(\d+)")


class PackingError(ValueError):
    """A packing action that is not allowed; the message is shown."""


@dataclass
class VerifyOutcome:
    """The verdict on one scanned unit."""

    ok: bool
    message: str


def order_barcode(order):
    """The value printed as the order's barcode on slips: ORD + 8 digits."""
    return f"ORD{order.id:08d}"


def find_order(raw_code):
    """The order named by an order barcode, channel number, or pick list + cart slot.

    'PL12-3' is pick list 12, cart slot 3: what is printed on the cart slot.
    """
    text = read_scan(raw_code).text
    code, order = text.upper(), None
    if code.startswith("ORD") and code[3:].isdigit():
        order = db.session.get(Order, int(code[3:]))
    elif (slot_code := CART_SLOT.fullmatch(code)) is not None:
        order_id = db.session.scalar(select(PickTask.order_id).where(
            PickTask.pick_list_id == int(slot_code[1]), PickTask.cart_slot == int(slot_code[2]),
            PickTask.kind == "pick").limit(1))
        order = db.session.get(Order, order_id) if order_id else None
    if order is None:
        order = _by_channel_number(text)
    if order is None:
        raise PackingError(_("No order found for %(code)s.", code=code))
    if order.status != "picked":
        raise PackingError(_("Order %(number)s is %(state)s, not ready for packing.",
                             number=order.number,
                             state=ORDER_STATE_LABELS.get(order.status, order.status)))
    return order


def _by_channel_number(code):
    """The order 'channel-number' names. Channels and numbers may themselves hold '-'
    (shop-cn-2024-17), so every split at a dash is tried; there are only a few. Should
    two orders match, the one waiting for packing is the one the packer holds."""
    pairs = [and_(Order.channel == code[:at], Order.channel_order_no == code[at + 1:])
             for at, char in enumerate(code) if char == "-"]
    if not pairs:
        return None
    return db.session.scalar(select(Order).where(or_(*pairs))
                             .order_by((Order.status == "picked").desc(), Order.id).limit(1))


def expected_vs_scanned(order):
    """Per line: product, expected and verified units."""
    return [{"line": line, "expected": line.quantity, "scanned": line.verified_qty}
            for line in order.lines]


def fully_verified(order):
    """True when every unit of every line has been scanned."""
    return all(line.verified_qty == line.quantity for line in order.lines)


def verify_scan(order_id, raw_code, quantity=1, user_id=None):
    """Count scanned units against the order; refuse wrong items and over-scans.

    One scan counts one unit. After a line's first unit has been scanned, the
    rest may be counted at once with a quantity (24 identical units, one scan
    and a number); never more than the line still lacks. The person counting is
    recorded as the checker (复核人).
    """
    order = db.session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None or order.status != "picked":
        return VerifyOutcome(False, _("This order is not being packed."))
    quantity = _quantity(quantity)
    if quantity is None:
        return VerifyOutcome(False, _("The quantity must be a whole number from 1 to %(max)d.",
                                      max=MAX_VERIFY_QTY))
    scan = read_scan(raw_code)
    product_id = product_for_scan(scan)
    if product_id is None:
        return VerifyOutcome(False, refusal(scan))
    line = next((l for l in order.lines if l.product_id == product_id
                 and l.verified_qty < l.quantity), None)
    if line is None:
        if any(l.product_id == product_id for l in order.lines):
            return VerifyOutcome(False, _("Too many: this item is already complete."))
        return VerifyOutcome(False, _("Wrong item: not in this order."))
    if quantity > 1 and line.verified_qty == 0:
        return VerifyOutcome(False, _("Scan one unit of %(sku)s first, then enter the rest.",
                                      sku=line.sku))
    left = line.quantity - line.verified_qty
    if quantity > left:
        return VerifyOutcome(False, _("Too many: only %(left)d of %(sku)s left to count.",
                                      left=left, sku=line.sku))
    line.verified_qty += quantity
    if user_id is not None:
        order.verified_by_id, order.verified_at = user_id, utcnow()
    return VerifyOutcome(True, _("%(sku)s: %(done)d of %(total)d.", sku=line.sku,
                                 done=line.verified_qty, total=line.quantity))


def _quantity(value):
    """A unit count from a form or a scan: 1..MAX_VERIFY_QTY, else None."""
    text = str(1 if value is None or value == "" else value).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_VERIFY_QTY:
        return None
    return int(text)


def open_line(order, raw_code):
    """The line a code names that still lacks units and has one counted, else None:
    the line whose rest the quantity field may take."""
    product_id = product_for_scan(read_scan(raw_code))
    return next((l for l in order.lines if product_id and l.product_id == product_id
                 and 0 < l.verified_qty < l.quantity), None)


def restart_verification(order_id):
    """Zero the scanned counts, to count an order again from the start. The order is
    locked, as `pack` locks it: a restart racing a pack zeroed a packed order's counts."""
    order = db.session.scalar(select(Order).where(Order.id == order_id)
                              .with_for_update(key_share=True)
                              .execution_options(populate_existing=True))
    if order is None or order.status != "picked":
        raise PackingError(_("This order is not being packed."))
    for line in order.lines:
        line.verified_qty = 0
    order.verified_by_id = order.verified_at = None


def pack(order_id, parcels, user_id, station_id=None):
    """Pack a fully verified order into parcels and queue its booking; return the shipment.

    `parcels` is a list of dicts with weight_g and either a box preset's code
    (box_code) or length_mm, width_mm, height_mm. The goods move from the
    packing area to the shipping dock in the ledger.
    """
    order = db.session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None or order.status != "picked":
        raise PackingError(_("This order is not being packed."))
    if not fully_verified(order):
        raise PackingError(_("Scan every item before packing (复核)."))
    try:
        clean_parcels = validate_parcels([boxes.apply_preset(p) for p in parcels or []])
    except boxes.BoxError as error:
        raise PackingError(str(error)) from error
    adapter = carriers.get(order.carrier)
    if adapter is None or not adapter.available():
        raise PackingError(_("Carrier %(carrier)s is not available.", carrier=order.carrier))
    if order.verified_by_id is None:  # counted offline: the scans name the person
        order.verified_by_id = _offline_checker(order.id) or user_id
        order.verified_at = utcnow()
    shipment = Shipment(order_id=order.id, carrier=order.carrier, packed_by_id=user_id,
                        station_id=station_id, parcels=[Parcel(**p) for p in clean_parcels])
    db.session.add(shipment)
    _to_dock(order, user_id)
    transition(order, "packed", user_id)
    db.session.flush()
    return shipment


def _offline_checker(order_id):
    """Who scanned the order's last unit on a device (the synced verify scans)."""
    from ..sync.models import ScanRecord
    return db.session.scalar(select(ScanRecord.user_id).where(
        ScanRecord.order_id == order_id, ScanRecord.action == "verify",
        ScanRecord.status == "applied", ScanRecord.user_id.is_not(None))
        .order_by(ScanRecord.id.desc()).limit(1))


def _to_dock(order, user_id):
    """Move the order's units from the packing area to the shipping dock."""
    dock = db.session.scalar(select(Location.id).where(Location.type == "shipping")
                             .order_by(Location.id))
    if dock is None:
        raise PackingError(_("No shipping location exists; an admin must add one."))
    staging = staging_location_id()
    for line in order.lines:
        move_stock(line.product_id, line.quantity, reason="pack", from_location_id=staging,
                   to_location_id=dock, user_id=user_id, source=f"order:{order.id}")


def validate_parcels(parcels):
    """Check parcel weights and sizes: whole numbers, above zero, within limits."""
    if not parcels:
        raise PackingError(_("Add at least one parcel."))
    if len(parcels) > MAX_PARCELS:
        raise PackingError(_("At most %(n)d parcels per order.", n=MAX_PARCELS))
    result = []
    for number, parcel in enumerate(parcels, start=1):
        values = {}
        for field, limit in (("weight_g", MAX_WEIGHT_G), ("length_mm", MAX_SIDE_MM),
                             ("width_mm", MAX_SIDE_MM), ("height_mm", MAX_SIDE_MM)):
            text = str(parcel.get(field, "")).strip()
            # isascii: '²'.isdigit() is True, yet int('²') raises.
            if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= limit:
                raise PackingError(_("Parcel %(n)d: %(field)s must be a whole number from 1 "
                                     "to %(limit)d.", n=number, field=field, limit=limit))
            values[field] = int(text)
        values["box_code"] = parcel.get("box_code") or None
        result.append(values)
    return result
