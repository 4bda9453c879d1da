"""Packing station: find the order, verify each unit, pack, print label and slip."""
from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user

from ..access import allow
from ..extensions import db
from ..jobstate import job_status
from ..orders.models import Order
from ..queues import enqueue_for
from . import services
from .jobs import book_shipment
from .models import Parcel, Shipment

bp = Blueprint("packing", __name__, template_folder="templates")
PACKERS = ("packer", "supervisor")


@bp.route("/packing")
@allow(*PACKERS)
def station():
    """Scan a pick list cart slot, an order barcode or an order number."""
    code = request.args.get("code", "").strip()
    if code:
        try:
            order = services.find_order(code)
        except services.PackingError as error:
            flash(str(error), "error")
        else:
            return redirect(url_for("packing.verify", order_id=order.id))
    return render_template("packing/station.html")


@bp.route("/packing/orders/<int:order_id>")
@allow(*PACKERS)
def verify(order_id):
    """Expected vs scanned for one order, with the scan field ready."""
    order = db.get_or_404(Order, order_id)
    if order.status == "packed":
        return redirect(url_for("packing.shipment", order_id=order.id))
    return render_template("packing/verify.html", order=order, **_context(order, None))


@bp.route("/packing/orders/<int:order_id>/scan", methods=["POST"])
@allow(*PACKERS)
def scan(order_id):
    """Judge one scanned unit; answer with the verification fragment."""
    outcome = services.verify_scan(order_id, request.form.get("code", ""))
    db.session.commit()
    order = db.get_or_404(Order, order_id)
    return render_template("packing/_verify.html", order=order, **_context(order, outcome))


@bp.route("/packing/orders/<int:order_id>/restart", methods=["POST"])
@allow(*PACKERS)
def restart(order_id):
    """Count the order again from zero."""
    try:
        services.restart_verification(order_id)
    except services.PackingError as error:
        flash(str(error), "error")
    db.session.commit()
    return redirect(url_for("packing.verify", order_id=order_id))


def _context(order, outcome):
    """What the verification fragment shows."""
    return {"rows": services.expected_vs_scanned(order), "outcome": outcome,
            "complete": services.fully_verified(order)}


@bp.route("/packing/orders/<int:order_id>/pack", methods=["POST"])
@allow(*PACKERS)
def pack(order_id):
    """Pack into the parcels entered and queue the booking job."""
    parcels = [dict(zip(("weight_g", "length_mm", "width_mm", "height_mm"), values))
               for values in zip(request.form.getlist("weight_g"),
                                 request.form.getlist("length_mm"),
                                 request.form.getlist("width_mm"),
                                 request.form.getlist("height_mm"))]
    try:
        shipment = services.pack(order_id, parcels, current_user.id)
    except services.PackingError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("packing.verify", order_id=order_id))
    db.session.commit()
    _enqueue(shipment)
    return redirect(url_for("packing.shipment", order_id=order_id))


def _enqueue(shipment):
    """Queue the booking; a down queue marks the shipment failed, to retry."""
    enqueue_for(shipment, "packing", book_shipment, shipment.id, job_timeout=300)


@bp.route("/packing/orders/<int:order_id>/shipment")
@allow(*PACKERS)
def shipment(order_id):
    """The shipment: booking state (polls while booking), then print links."""
    shipment = _shipment_of(order_id)
    state = job_status(shipment.job_id) if shipment.status in ("queued", "booking") else None
    template = "packing/_shipment.html" if request.htmx else "packing/shipment.html"
    return render_template(template, shipment=shipment, job_state=state)


@bp.route("/packing/orders/<int:order_id>/shipment/retry", methods=["POST"])
@allow(*PACKERS)
def retry(order_id):
    """Book a failed shipment again."""
    shipment = _shipment_of(order_id)
    if shipment.status == "failed":
        shipment.status, shipment.error = "queued", None
        db.session.commit()
        _enqueue(shipment)
    return render_template("packing/_shipment.html", shipment=shipment, job_state=None)


def _shipment_of(order_id):
    """The order's shipment or 404."""
    shipment = db.session.scalar(db.select(Shipment).where(Shipment.order_id == order_id))
    if shipment is None:
        abort(404)
    return shipment


@bp.route("/packing/parcels/<int:parcel_id>/label.svg")
@allow(*PACKERS)
def label_svg(parcel_id):
    """The parcel's shipping label as an SVG file (download or print)."""
    parcel = db.get_or_404(Parcel, parcel_id)
    if not parcel.label_svg:
        abort(404)
    return Response(parcel.label_svg, mimetype="image/svg+xml", headers={
        "Content-Disposition": f'inline; filename="label-{parcel.tracking_number}.svg"'})


@bp.route("/packing/orders/<int:order_id>/labels")
@allow(*PACKERS)
def labels(order_id):
    """All labels of the shipment, one 100 x 150 mm page each, ready to print."""
    return render_template("packing/labels.html", shipment=_shipment_of(order_id))


@bp.route("/packing/orders/<int:order_id>/slip")
@allow(*PACKERS)
def slip(order_id):
    """The packing slip / outbound note (出库单) with the order barcode and lines."""
    from ..catalog.labels import code128_svg
    order = db.get_or_404(Order, order_id)
    if order.status not in ("packed", "handed_over"):
        abort(404)
    barcode = code128_svg(services.order_barcode(order), 70, 14)
    return render_template("packing/slip.html", order=order, barcode=barcode,
                           order_code=services.order_barcode(order),
                           shipment=_shipment_of(order_id))
