"""After-sales (售后): the carriers' event webhook, customer service's cases and search."""
import hashlib
import hmac
import json

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from ..access import allow, public
from ..extensions import csrf, db
from ..orders.models import Order
from ..packing import carriers
from ..packing.models import Parcel, Shipment
from ..timeutil import utcnow
from . import tracking
from .models import AfterSalesCase, CaseNote, ParcelTracking
from .views import bp

SERVICE = ("customer_service", "supervisor")
MAX_NOTE = 2000


def valid_signature(carrier, body, header):
    """True when `X-Signature: sha256=<hex>` is the HMAC-SHA256 of the body with the
    carrier's secret (compared in constant time)."""
    secret = current_app.config.get("CARRIER_WEBHOOK_SECRETS", {}).get(carrier)
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[7:].strip().lower())


@bp.route("/api/v1/carriers/<carrier>/events", methods=["POST"])
@csrf.exempt
@public  # authenticated by the carrier's HMAC signature, not by a session
def carrier_events(carrier):
    """Tracking events pushed by a carrier: {"events": [...]}, stored once each."""
    if carrier not in carriers.CARRIERS:
        return jsonify(error="Unknown carrier."), 404
    if not current_app.config.get("CARRIER_WEBHOOK_SECRETS", {}).get(carrier):
        return jsonify(error="Webhooks for this carrier are not configured."), 403
    body = request.get_data(cache=False)
    if not valid_signature(carrier, body, request.headers.get("X-Signature", "")):
        return jsonify(error="Bad or missing X-Signature."), 401
    try:
        events = json.loads(body).get("events")
    except (ValueError, AttributeError):
        events = None
    if not isinstance(events, list) or len(events) > tracking.MAX_EVENTS:
        return jsonify(error=f'The body must be {{"events": [...]}} with at most '
                             f'{tracking.MAX_EVENTS} events.'), 400
    try:
        parsed = [tracking.parse_event(e) for e in events]
    except tracking.EventError as error:
        return jsonify(error=str(error)), 400
    stored, unknown = tracking.ingest(carrier, parsed, "webhook")
    db.session.commit()
    return jsonify(stored=stored, duplicates=len(parsed) - stored - unknown, unknown=unknown)


@bp.route("/aftersales")
@allow(*SERVICE)
def cases():
    """Open after-sales cases, oldest first, and the order search."""
    rows = db.session.scalars(select(AfterSalesCase).where(AfterSalesCase.status == "open")
                              .order_by(AfterSalesCase.opened_at, AfterSalesCase.id)
                              .limit(200)).all()
    query = request.args.get("q", "").strip()[:80]
    return render_template("handoff/cases.html", cases=rows, query=query,
                           found=find_orders(query) if query else None)


def find_orders(text):
    """Orders by order barcode, channel number, tracking number, customer name or phone."""
    text = text.strip()
    conditions = [Order.channel_order_no == text, Order.ship_name.ilike(f"%{text}%"),
                  Order.ship_phone == text]
    upper = text.upper()
    if upper.startswith("ORD") and upper[3:].isdigit() and len(upper) < 15:
        conditions.append(Order.id == int(upper[3:]))
    if "-" in text:
        channel, _sep, number = text.partition("-")
        conditions.append((Order.channel == channel) & (Order.channel_order_no == number))
    by_tracking = select(Shipment.order_id).join(Parcel).where(Parcel.tracking_number == upper)
    conditions.append(Order.id.in_(by_tracking))
    return db.session.scalars(select(Order).where(or_(*conditions)).order_by(Order.id.desc())
                              .limit(50)).all()


@bp.route("/aftersales/cases/<int:case_id>")
@allow(*SERVICE)
def case(case_id):
    """One case: the order, the parcel's timeline, the notes."""
    row = db.get_or_404(AfterSalesCase, case_id)
    return render_template("handoff/case.html", case=row,
                           events=tracking.timeline(row.parcel_id),
                           tracking=db.session.get(ParcelTracking, row.parcel_id))


@bp.route("/aftersales/cases/<int:case_id>/notes", methods=["POST"])
@allow(*SERVICE)
def add_note(case_id):
    """Write down what was done; 'close' also closes the case."""
    row = db.get_or_404(AfterSalesCase, case_id)
    text = request.form.get("text", "").strip()
    if len(text) > MAX_NOTE:
        flash(_("A note is at most %(n)d characters.", n=MAX_NOTE), "error")
        return redirect(url_for("handoff.case", case_id=case_id))
    if text:
        db.session.add(CaseNote(case_id=row.id, user_id=current_user.id, text=text))
    if request.form.get("close") and row.status == "open":
        row.status, row.closed_at, row.closed_by_id = "closed", utcnow(), current_user.id
    elif not text:
        flash(_("Write a note first."), "error")
    db.session.commit()
    return redirect(url_for("handoff.case", case_id=case_id))


def order_tracking(order_id):
    """The order's parcels with tracking number, state and timeline (for the order page)."""
    parcels = db.session.scalars(select(Parcel).join(Shipment)
                                 .where(Shipment.order_id == order_id)).all()
    return [{"parcel": p, "tracking": db.session.get(ParcelTracking, p.id),
             "events": tracking.timeline(p.id)} for p in parcels]
