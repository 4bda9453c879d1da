"""JSON API v1: order intake, described by an OpenAPI document."""
from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user

from ..access import allow, device_token, public
from ..extensions import csrf, db
from ..orders import intake
from .openapi import document, shape_problems

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_ORDERS_PER_REQUEST = 1000


@bp.route("/orders", methods=["POST"])
@csrf.exempt
@device_token
@allow("supervisor", "admin")
def post_orders():
    """Take one order, or {"orders": [...]}: one result per order, idempotent."""
    if not g.get("device") and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # a browser session must prove the request is its own
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="The body must be a JSON object."), 400
    payloads = body["orders"] if isinstance(body.get("orders"), list) else [body]
    if len(payloads) > MAX_ORDERS_PER_REQUEST:
        return jsonify(error=f"At most {MAX_ORDERS_PER_REQUEST} orders per request."), 413
    user_id = current_user.id if current_user.is_authenticated else None
    results = [_take(p, user_id) for p in payloads]
    db.session.commit()
    status = 201 if any(r.outcome in ("created", "held") for r in results) else 200
    if all(r.outcome == "rejected" for r in results):
        status = 422
    return jsonify(results=[r.as_dict() for r in results]), status


@bp.route("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())


def _take(payload, user_id):
    """One order: refused when its shape is not the document's, else taken in."""
    problems = shape_problems("Order", payload)
    if problems:
        def text(key):
            value = payload.get(key) if isinstance(payload, dict) else None
            return value[:64] if isinstance(value, str) else ""
        return intake.IntakeResult(text("channel"), text("order_no"), "rejected",
                                   problems=problems)
    return intake.intake(payload, user_id)
