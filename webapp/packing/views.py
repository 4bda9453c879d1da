"""Packing station: find the order, verify each unit, pack, print label and slip."""
from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   session, url_for)
from flask_login import current_user

from ..access import allow
from ..extensions import db
from ..jobstate import job_status
from ..orders.models import Order
from ..queues import enqueue_for
from . import booking, boxes, printing, services, stations
from .jobs import book_shipment
from .models import PackingStation, Parcel, Shipment

bp = Blueprint("packing", __name__, template_folder="templates")
PACKERS = ("packer", "supervisor")


@bp.route("/packing")
@allow(*PACKERS)
def station():
    """Scan a pick list cart slot, an order barcode or an order number."""
    if "station" in request.args:
        _choose_station(request.args["station"])
    code = request.args.get("code", "").strip()
    if code:
        try:
            order = services.find_order(code)
        except services.PackingError as error:
            flash(str(error), "error")
        else:
            return redirect(url_for("packing.verify", order_id=order.id))
    return render_template("packing/station.html", stations=stations.all_stations(),
                           current_station=current_station())


def _choose_station(raw_id):
    """Remember in the session which bench (and label printer) this browser is at."""
    station = db.session.get(PackingStation, int(raw_id)) if raw_id.isdigit() else None
    if station is None:
        session.pop("packing_station_id", None)
    else:
        session["packing_station_id"] = station.id


def current_station():
    """The packing station this browser chose, or None."""
    station_id = session.get("packing_station_id")
    return db.session.get(PackingStation, station_id) if station_id else None


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
    code = request.form.get("code", "")
    outcome = services.verify_scan(order_id, code, request.form.get("qty") or 1,
                                   user_id=current_user.id)
    db.session.commit()
    order = db.get_or_404(Order, order_id)
    return render_template("packing/_verify.html", order=order,
                           **_context(order, outcome, code))


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


def _context(order, outcome, last_code=None):
    """What the verification fragment shows: the counts, the quantity field for the
    line just scanned, and the pack form's box presets once every unit is counted."""
    complete = services.fully_verified(order)
    return {"rows": services.expected_vs_scanned(order), "outcome": outcome,
            "complete": complete,
            "rest_line": services.open_line(order, last_code) if last_code else None,
            "presets": boxes.presets() if complete else [],
            "suggested": boxes.suggest(order) if complete else None}


@bp.route("/packing/orders/<int:order_id>/pack", methods=["POST"])
@allow(*PACKERS)
def pack(order_id):
    """Pack into the parcels entered and queue the booking job."""
    parcels = _posted_parcels(request.form)
    station = current_station()
    try:
        shipment = services.pack(order_id, parcels, current_user.id,
                                 station.id if station else None)
    except services.PackingError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("packing.verify", order_id=order_id))
    db.session.commit()
    _enqueue(shipment)
    return redirect(url_for("packing.shipment", order_id=order_id))


def _posted_parcels(form):
    """One dict per parcel fieldset; a form without a box field (typed sizes) works too."""
    count = len(form.getlist("weight_g"))
    columns = {field: form.getlist(field) + [""] * (count - len(form.getlist(field)))
               for field in ("box_code", "weight_g", "length_mm", "width_mm", "height_mm")}
    return [{field: values[n] for field, values in columns.items()} for n in range(count)]


def _enqueue(shipment):
    """Queue the booking; a down queue marks the shipment failed, to retry."""
    enqueue_for(shipment, "packing", book_shipment, shipment.id, job_timeout=300)


@bp.route("/packing/orders/<int:order_id>/shipment")
@allow(*PACKERS)
def shipment(order_id):
    """The shipment: booking state (polls while booking), then print links."""
    shipment = shipment_of(order_id)
    state = job_status(shipment.job_id) if shipment.status in ("queued", "booking") else None
    template = "packing/_shipment.html" if request.htmx else "packing/shipment.html"
    return render_template(template, **shipment_context(shipment, state))


def shipment_context(shipment, job_state):
    """What the shipment fragment shows: booking, label prints, the checker's signature."""
    from ..signatures.services import latest_signature
    prints = printing.prints_of(shipment)
    return {"shipment": shipment, "job_state": job_state, "prints": prints,
            "printing": any(p.status == "queued" for p in prints),
            "station": current_station(),
            "signature": latest_signature("outbound_order", shipment.order_id, "checker")}


@bp.route("/packing/orders/<int:order_id>/shipment/retry", methods=["POST"])
@allow(*PACKERS)
def retry(order_id):
    """Book a failed shipment again; a second tap is told it is already being booked."""
    shipment, notice = shipment_of(order_id), None
    try:
        shipment = booking.retry_booking(order_id)
    except services.PackingError as error:
        notice = str(error)
    db.session.commit()
    if notice is None:
        _enqueue(shipment)
    return render_template("packing/_shipment.html", notice=notice,
                           **shipment_context(shipment, None))


def shipment_of(order_id):
    """The order's shipment or 404."""
    shipment = db.session.scalar(db.select(Shipment).where(Shipment.order_id == order_id))
    if shipment is None:
        abort(404)
    return shipment


from . import documents_views, settings_views  # noqa: E402,F401 - routes on this bp
