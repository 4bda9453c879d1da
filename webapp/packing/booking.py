"""Booking a packed shipment with its carrier: once, whoever asks and however often.

Apart from packing (services) because booking is the job's side, not the station's:
it runs after the pack commits, may run twice at once (a retry tapped while a
supervisor requeues the failed job), and calls the outside world, so each step here
is claimed under a guard: the idempotency key once, the shipment under its lock.
"""
import uuid

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from ..extensions import db
from ..timeutil import utcnow
from . import carriers
from .models import Shipment
from .services import PackingError

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL, for NOWAIT


def booking_key(shipment):
    """The idempotency key the carrier books this shipment under: stable across retries.
    Shipments booked before keys were stored went under their id."""
    return shipment.booking_key or f"wh-shipment-{shipment.id}"


def claim_booking_key(shipment_id):
    """The shipment's idempotency key, made once, before the first call to its carrier;
    the job commits it before calling, so every retry sends the same key. Random, not
    the row's id: ids start again at 1 in a fresh database, and a real carrier would
    answer a reused key with another life's booking. Set only where none is stored yet:
    two jobs claiming at once (each read none) then send the same key, the one stored
    first, where the later write used to replace it and the carrier booked twice."""
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        raise PackingError("No such shipment.")
    if shipment.booking_key is None:
        db.session.execute(update(Shipment).where(
            Shipment.id == shipment_id, Shipment.booking_key.is_(None))
            .values(booking_key=f"wh-{uuid.uuid4().hex}")
            .execution_options(synchronize_session=False))
        db.session.refresh(shipment, ["booking_key"])
    return shipment.booking_key


def locked_shipment(shipment_id):
    """The shipment, locked till commit and read again under the lock: two runs of its
    booking job (a retry tapped while a supervisor requeued the failed job) take turns,
    and the later one finds it booked instead of booking, and failing, a second time."""
    return db.session.scalar(select(Shipment).where(Shipment.id == shipment_id)
                             .with_for_update(key_share=True)
                             .execution_options(populate_existing=True))


def retry_booking(order_id):
    """Queue a failed shipment's booking again; PackingError when it is not failed
    (any more). The state is claimed by a guarded update, so of two taps on Retry
    at once (each saw 'failed') only one starts a booking job. Not waiting for the
    shipment's lock: a booking job holds it through its carrier's call, and a tap on
    Retry meanwhile would hold a web worker that long to be told the same."""
    try:
        with db.session.begin_nested():
            db.session.execute(select(Shipment.id).where(Shipment.order_id == order_id)
                               .with_for_update(key_share=True, nowait=True))
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise PackingError(_("This shipment is already booked or being booked.")) from error
    claimed = db.session.execute(update(Shipment).where(
        Shipment.order_id == order_id, Shipment.status == "failed")
        .values(status="queued", error=None).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise PackingError(_("This shipment is already booked or being booked."))
    return db.session.scalar(select(Shipment).where(Shipment.order_id == order_id)
                             .execution_options(populate_existing=True))


def mark_failed(shipment_id, error):
    """Record why a booking failed, unless a run of the job booked it meanwhile."""
    db.session.execute(update(Shipment).where(
        Shipment.id == shipment_id, Shipment.status != "booked")
        .values(status="failed", error=error).execution_options(synchronize_session=False))


def book(shipment_id, render_label):
    """Book a shipment's parcels with its carrier and render each label; re-runnable.

    The carrier gets the shipment's idempotency key (`claim_booking_key`, committed
    by the job before this call), so a retried job (even one whose first run booked
    and then died before committing) never books twice. The shipment stays locked
    till the caller commits: a second run at once waits, then finds it booked.
    """
    shipment = locked_shipment(shipment_id)
    if shipment is None:
        raise PackingError("No such shipment.")
    if shipment.status == "booked":
        return shipment
    claim_booking_key(shipment_id)
    shipment.status, shipment.error = "booking", None
    adapter = carriers.get(shipment.carrier)
    if adapter is None:
        raise carriers.CarrierError(f"Carrier {shipment.carrier} is not offered here.")
    if any(p.tracking_number is None for p in shipment.parcels):
        numbers = adapter.book(booking_key(shipment),
                               [{"weight_g": p.weight_g} for p in shipment.parcels])
        for parcel, number in zip(shipment.parcels, numbers):
            parcel.tracking_number = parcel.tracking_number or number
    for parcel in shipment.parcels:
        parcel.label_svg = render_label(shipment, parcel)
    shipment.status, shipment.booked_at = "booked", utcnow()
    return shipment
