"""RQ jobs of the packing queue."""
from ..extensions import db
from ..handoff.services import add_shipment
from .documents import render_label
from .models import Shipment
from .services import book


def book_shipment(shipment_id):
    """Book the shipment, render its labels, put its parcels on the open manifest;
    safe to run twice (the carrier gets the same idempotency key)."""
    try:
        shipment = book(shipment_id, render_label)
        add_shipment(shipment.id)  # onto its carrier's open manifest (交接)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        shipment = db.session.get(Shipment, shipment_id)
        if shipment is not None:
            shipment.status, shipment.error = "failed", f"{type(error).__name__}: {error}"
            db.session.commit()
        raise
    return {"shipment_id": shipment.id,
            "tracking": [p.tracking_number for p in shipment.parcels]}
