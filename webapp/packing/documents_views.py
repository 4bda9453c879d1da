"""Packing documents: shipping labels (SVG, ZPL, to the station printer) and the 出库单."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import allow
from ..extensions import db
from ..orders.models import Order
from ..signatures.services import latest_signature, store_signature
from ..signatures.svg import SignatureRejected
from . import printing, services
from .jobs import enqueue_print
from .models import Parcel
from .views import PACKERS, bp, current_station, shipment_context, shipment_of


@bp.route("/packing/parcels/<int:parcel_id>/label.svg")
@allow(*PACKERS)
def label_svg(parcel_id):
    """The parcel's shipping label as an SVG file (download or print)."""
    parcel = db.get_or_404(Parcel, parcel_id)
    if not parcel.label_svg:
        abort(404)
    return Response(parcel.label_svg, mimetype="image/svg+xml", headers={
        "Content-Disposition": f'inline; filename="label-{parcel.tracking_number}.svg"'})


@bp.route("/packing/parcels/<int:parcel_id>/label.zpl")
@allow(*PACKERS)
def label_zpl(parcel_id):
    """The label as ZPL, for a label printer attached by USB (send the file to it)."""
    parcel = db.get_or_404(Parcel, parcel_id)
    if not parcel.tracking_number:
        abort(404)
    return Response(printing.label_zpl(parcel.shipment, parcel), mimetype="application/zpl",
                    headers={"Content-Disposition":
                             f'attachment; filename="label-{parcel.tracking_number}.zpl"'})


@bp.route("/packing/orders/<int:order_id>/labels/print", methods=["POST"])
@allow(*PACKERS)
def print_labels(order_id):
    """Send the labels to this station's label printer again."""
    shipment = shipment_of(order_id)
    try:
        rows = printing.reprint(shipment, current_station())
    except printing.PrintError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        for row in rows:
            enqueue_print(row)
    if request.htmx:
        return render_template("packing/_shipment.html", **shipment_context(shipment, None))
    return redirect(url_for("packing.shipment", order_id=order_id))


@bp.route("/packing/orders/<int:order_id>/labels")
@allow(*PACKERS)
def labels(order_id):
    """All labels of the shipment, one 100 x 150 mm page each, ready to print."""
    return render_template("packing/labels.html", shipment=shipment_of(order_id))


@bp.route("/packing/orders/<int:order_id>/slip")
@allow(*PACKERS)
def slip(order_id):
    """The packing slip / outbound note (出库单): lines, packer, checker, signature."""
    from ..catalog.labels import code128_svg
    order = db.get_or_404(Order, order_id)
    if order.status not in ("packed", "handed_over"):
        abort(404)
    barcode = code128_svg(services.order_barcode(order), 70, 14)
    return render_template("packing/slip.html", order=order, barcode=barcode,
                           order_code=services.order_barcode(order),
                           shipment=shipment_of(order_id),
                           signature=latest_signature("outbound_order", order.id, "checker"))


@bp.route("/packing/orders/<int:order_id>/sign", methods=["POST"])
@allow(*PACKERS)
def sign(order_id):
    """The checker (复核人) signs the 出库单 on screen."""
    order = db.get_or_404(Order, order_id)
    shipment_of(order_id)
    if order.verified_by_id not in (None, current_user.id):
        flash(_("Only the checker (复核人) %(name)s can sign this outbound note.",
                name=order.verified_by.display_name), "error")
        return redirect(url_for("packing.shipment", order_id=order_id))
    try:
        store_signature(request.form.get("checker_svg", ""), "outbound_order", order.id,
                        current_user.display_name, signer_role="checker",
                        signed_by_user_id=current_user.id)
    except SignatureRejected as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Signed. The outbound note (出库单) shows the signature."), "ok")
    return redirect(url_for("packing.shipment", order_id=order_id))

