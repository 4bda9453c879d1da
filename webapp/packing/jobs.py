"""RQ jobs of the packing queue."""
from rq import Retry, get_current_job

from ..audit.trail import acting_for
from ..extensions import db
from ..handoff.services import add_shipment
from ..queues import enqueue_for
from . import printing
from .documents import render_label
from .models import Shipment
from .booking import book, claim_booking_key, locked_shipment, mark_failed


def book_shipment(shipment_id):
    """Book the shipment, render its labels, put its parcels on the open manifest;
    safe to run twice (the carrier gets the same idempotency key, stored before the
    first call). Once booked, the labels go to the station's label printer, if it has
    one. The work is the packer's on the audit trail."""
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        return {"missing_shipment": shipment_id}
    if shipment.status != "booked" and shipment.order.status == "cancelled":
        # cancelled while the job waited: nothing to book (and nothing to withdraw)
        mark_failed(shipment_id, "the order was cancelled before booking")
        db.session.commit()
        return {"shipment_id": shipment.id, "cancelled": True}
    with acting_for(shipment.packed_by_id, "book_shipment"):
        return _book(shipment_id)


def _book(shipment_id):
    """The booking job's work, once its actor is set."""
    try:
        claim_booking_key(shipment_id)
        db.session.commit()  # the key outlives this run: a retry sends it again
        shipment = book(shipment_id, render_label)
        add_shipment(shipment.id)  # onto its carrier's open manifest (交接)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        # never over 'booked': a run of the job at the same time may have booked it
        mark_failed(shipment_id, f"{type(error).__name__}: {error}")
        db.session.commit()
        raise
    shipment = locked_shipment(shipment_id)  # two runs decide in turn who prints
    if not _printed_already(shipment):
        for row in printing.queue_prints(shipment):
            enqueue_print(row)
        db.session.commit()
    return {"shipment_id": shipment.id,
            "tracking": [p.tracking_number for p in shipment.parcels]}


def _printed_already(shipment):
    """True when a run of this job has already queued the labels (a rerun prints none)."""
    from sqlalchemy import select

    from .models import LabelPrint
    return db.session.scalar(select(LabelPrint.id).where(
        LabelPrint.parcel_id.in_([p.id for p in shipment.parcels])).limit(1)) is not None


def enqueue_print(row):
    """Queue the sending of one label, with retries spaced by the configured intervals."""
    intervals = printing.retry_intervals()
    enqueue_for(row, "packing", send_label, row.id, job_timeout=60,
                retry=Retry(max=len(intervals), interval=intervals) if intervals else None)


def send_label(print_id):
    """Send one ZPL label to its printer; on failure record why and let RQ retry."""
    job = get_current_job()
    final = not (job and job.retries_left)
    try:
        row = printing.send_print(print_id, final_attempt=final)
    except OSError:
        db.session.commit()  # the error is shown while the next try waits
        raise
    db.session.commit()
    return {"print_id": print_id, "status": row.status if row else None}
