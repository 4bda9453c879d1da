"""Receipts for the supervisor: list, CSV import, detail, 明细表, 入库单, API intake."""
from flask import (Blueprint, Response, abort, current_app, flash, g, jsonify, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from ..access import allow, device_token
from ..catalog.labels import code128_svg
from ..core.home import register_hint
from ..extensions import csrf, db
from . import corrections, documents, inspection, intake, labels, offline, services
from .models import RECEIPT_STATES, InspectionPhoto, Receipt

bp = Blueprint("receiving", __name__, template_folder="templates")
bp.app_context_processor(labels.template_names)
register_hint("receiving.today", labels.today_hint)

MANAGERS = ("supervisor", "admin")
VIEWERS = ("supervisor", "admin", "receiver")
MAX_RECEIPTS_PER_REQUEST = 200


@bp.route("/receipts")
@allow(*VIEWERS)
def receipts():
    """Receipts per state, newest first."""
    status = request.args.get("status", "")
    found, counts = services.receipts_in(status)
    return render_template("receiving/receipts.html", receipts=found, counts=counts,
                           states=RECEIPT_STATES, status=status)


@bp.route("/receipts/import", methods=["GET", "POST"])
@allow(*MANAGERS)
def import_receipts():
    """Upload expected receipts as CSV (one row per line); report each receipt."""
    results, status = [], 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a CSV file to import."), "error")
            return _import_page([], 400)
        try:
            payloads = intake.receipts_from_csv(upload.read())
        except intake.IntakeError as error:
            flash(_("The file cannot be read: %(error)s", error=str(error)), "error")
            return _import_page([], 422)
        results = [intake.intake(p, current_user.id) for p in payloads]
        db.session.commit()
        if any(r.outcome in ("held", "rejected") for r in results):
            status = 207 if any(r.outcome == "created" for r in results) else 422
    return _import_page(results, status)


def _import_page(results, status):
    """The import page with its results."""
    return render_template("receiving/import.html", results=results,
                           columns=intake.CSV_COLUMNS), status


@bp.route("/receipts/<int:receipt_id>")
@allow(*VIEWERS)
def show(receipt_id):
    """One receipt: lines, discrepancies, inspections with photos, history."""
    receipt = db.get_or_404(Receipt, receipt_id)
    return render_template("receiving/show.html", receipt=receipt,
                           totals=services.totals(receipt),
                           inspections=inspection.inspections_of("receipt", receipt.id))


@bp.route("/receipts/<int:receipt_id>/cancel", methods=["POST"])
@allow(*MANAGERS)
def cancel(receipt_id):
    """Cancel a receipt nothing was received on."""
    try:
        services.cancel(receipt_id, current_user.id, request.form.get("note", ""))
        db.session.commit()
        flash(_("Receipt cancelled."), "ok")
    except services.ReceivingError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("receiving.show", receipt_id=receipt_id))


@bp.route("/receipts/<int:receipt_id>/lines/<int:line_id>/fix", methods=["POST"])
@allow(*MANAGERS)
def fix_line(receipt_id, line_id):
    """Give a held line a known SKU and a sound quantity."""
    return _correct(receipt_id, line_id, lambda: corrections.fix_line(
        line_id, current_user.id, request.form.get("sku", ""), request.form.get("quantity", ""),
        request.form.get("lot")))


@bp.route("/receipts/<int:receipt_id>/lines/<int:line_id>/drop", methods=["POST"])
@allow(*MANAGERS)
def drop_line(receipt_id, line_id):
    """Take a bad line off a held receipt."""
    return _correct(receipt_id, line_id,
                    lambda: corrections.drop_line(line_id, current_user.id) or "")


def _correct(receipt_id, line_id, correction):
    """Run a correction of one of the receipt's lines; back to the receipt with what it did."""
    receipt = db.get_or_404(Receipt, receipt_id)
    if not any(line.id == line_id for line in receipt.lines):
        abort(404)
    try:
        problem = correction()
    except services.ReceivingError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("receiving.show", receipt_id=receipt_id)), 303
    db.session.commit()
    if problem:
        flash(_("Line not fixed yet: %(problem)s", problem=problem), "error")
    elif receipt.held:
        flash(_("Line corrected. Other lines still hold the receipt."), "ok")
    else:
        flash(_("Line corrected. The receipt can be received now."), "ok")
    return redirect(url_for("receiving.show", receipt_id=receipt_id)), 303


@bp.route("/receipts/<int:receipt_id>/list")
@allow(*VIEWERS)
def print_list(receipt_id):
    """The 明细表: expected lines, with the receipt number as Code128 for the dock."""
    receipt = db.get_or_404(Receipt, receipt_id)
    return render_template("receiving/print_list.html", receipt=receipt,
                           barcode=code128_svg(receipt.number, 80, 15))


@bp.route("/receipts/<int:receipt_id>/grn")
@allow(*VIEWERS)
def grn(receipt_id):
    """The 入库单 as an A4 page to print."""
    receipt = db.get_or_404(Receipt, receipt_id)
    return render_template("receiving/grn.html", receipt=receipt, totals=services.totals(receipt),
                           barcode=code128_svg(receipt.number, 80, 15),
                           signatures=documents.signatures_of(receipt))


@bp.route("/receipts/<int:receipt_id>/grn.svg")
@allow(*VIEWERS)
def grn_svg(receipt_id):
    """The 入库单 as a standalone A4 SVG file to download and keep."""
    receipt = db.get_or_404(Receipt, receipt_id)
    if receipt.status not in ("received", "put_away"):
        flash(_("The 入库单 exists once the receipt is closed."), "error")
        return redirect(url_for("receiving.show", receipt_id=receipt.id))
    response = Response(documents.grn_svg(receipt), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{receipt.number}.svg"'
    return response


@bp.route("/receiving/photos/<int:photo_id>")
@allow(*VIEWERS)
def photo(photo_id):
    """An inspection photo, from the database."""
    row = db.get_or_404(InspectionPhoto, photo_id)
    response = Response(row.data, mimetype=row.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.route("/api/v1/receipts/<int:receipt_id>/offline")
@device_token
@allow("receiver", "supervisor")
def offline_receipt(receipt_id):
    """A receipt being received, for a handheld to take along with no network."""
    receipt = db.get_or_404(Receipt, receipt_id)
    if receipt.status not in services.OPEN_STATES:
        return jsonify(error=f"Receipt {receipt.number} is {receipt.status}.",
                       status=receipt.status), 409
    if receipt.held:
        return jsonify(error=services.held_message(receipt), status="held"), 409
    user_id = current_user.id if current_user.is_authenticated else None
    return jsonify(offline.receipt_payload(receipt, user_id))


@bp.route("/api/v1/receipts", methods=["POST"])
@csrf.exempt
@device_token
@allow(*MANAGERS)
def api_receipts():
    """Take one receipt, or {"receipts": [...]}: one result each, idempotent."""
    if not g.get("device") and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # a browser session must prove the request is its own
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="The body must be a JSON object."), 400
    payloads = body["receipts"] if isinstance(body.get("receipts"), list) else [body]
    if len(payloads) > MAX_RECEIPTS_PER_REQUEST:
        return jsonify(error=f"At most {MAX_RECEIPTS_PER_REQUEST} receipts per request."), 413
    user_id = current_user.id if current_user.is_authenticated else None
    results = [intake.intake(p if isinstance(p, dict) else {}, user_id) for p in payloads]
    db.session.commit()
    status = 201 if any(r.outcome in ("created", "held") for r in results) else 200
    if all(r.outcome == "rejected" for r in results):
        status = 422
    return jsonify(results=[r.as_dict() for r in results]), status


from . import handheld  # noqa: E402,F401 - the receiver's routes on the same blueprint
from . import tiles  # noqa: E402,F401 - registers its console tile
