"""The sync API for devices, the offline copy of a pick list, and the conflict list."""
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import DBAPIError

from ..access import allow, device_token
from ..accounts.services import signed_in_on
from ..conflicts import changed_meanwhile
from ..extensions import csrf, db
from ..limits import MAX_INT, whole_number
from ..orders.models import Order
from ..picking.models import PickList
from . import actions, applying, jobs, offline, services

from . import tiles  # noqa: F401,E402 - registers its console tile

bp = Blueprint("sync", __name__, template_folder="templates")
actions.discover()  # before the route below is declared: it lets in every scanning role


@bp.route("/api/v1/scans", methods=["POST"])
@csrf.exempt
@device_token
@allow(*actions.roles_for_all())
def post_scans():
    """Take a batch of scans; answer applied / duplicate / conflict / rejected / stored."""
    device = g.get("device")
    if device is None:
        csrf.protect()  # a browser session must prove the request is its own
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("scans"), list):
        return jsonify(error='The body must be {"device_id": ..., "scans": [...]}.'), 400
    for key, nullable in (("device_id", True), ("pending", False)):
        value = body.get(key)
        if key in body and not (value is None and nullable) and (
                isinstance(value, str) or whole_number(value, None, low=0) is None):
            return jsonify(error=f"{key} must be a whole number from 0 to {MAX_INT}."), 400
    if len(body["scans"]) > services.MAX_BATCH:
        return jsonify(error=f"At most {services.MAX_BATCH} scans per request; "
                             f"send smaller batches."), 413
    if device is not None and body.get("device_id") not in (None, device.id):
        return jsonify(error="device_id does not match the device token."), 403
    user = None if device is not None else current_user
    results, batch_id = _received(body, device, user)
    if batch_id:
        # Redis down here, or this process dying right now, leaves the batch stored:
        # the sweep (at worker start and every minute, webapp/periodic.py) applies it.
        jobs.queue_batch(batch_id)
    return jsonify(results=results, batch_id=batch_id)


def _received(body, device, user):
    """services.receive, committed; done again when PostgreSQL undid it to break a
    deadlock with another request (nothing of it was kept, and the device should not
    wait for its next sync to try again). Still undone after that: the 409 handler."""
    for attempt in range(applying.STALE_TRIES):
        try:
            answer = services.receive(body, device, session_user=user)
            db.session.commit()
            return answer
        except DBAPIError as error:
            if not changed_meanwhile(error) or attempt == applying.STALE_TRIES - 1:
                raise
            db.session.rollback()


@bp.route("/api/v1/picklists/<int:list_id>/offline")
@device_token
@allow("picker")
def offline_list(list_id):
    """Everything the device needs to judge this list's scans with no network."""
    pick_list = db.get_or_404(PickList, list_id)
    device = g.get("device")
    if device is not None:  # a handheld carries only the lists of people who held it
        if not signed_in_on(device.id, pick_list.picker_id):
            return jsonify(error=_("The picker of this list has not signed in on this "
                                   "device."), status=403), 403
    elif pick_list.picker_id != current_user.id:
        abort(403)
    return jsonify(offline.pick_list_payload(pick_list, request.args.get("catalog")))


@bp.route("/api/v1/orders/<int:order_id>/offline")
@device_token
@allow("packer", "supervisor")
def offline_order(order_id):
    """An order waiting for packing, for the station to verify it with no network."""
    order = db.get_or_404(Order, order_id)
    if order.status != "picked":
        return jsonify(error=f"Order {order.number} is {order.status}, not waiting for "
                             f"packing.", status=order.status), 409
    user_id = current_user.id if current_user.is_authenticated else None
    return jsonify(offline.order_payload(order, user_id))


@bp.route("/sync/conflicts")
@allow("supervisor", "admin")
def conflicts():
    """Synced scans that no longer fit, for a supervisor to resolve."""
    page = request.args.get("page", 1, type=int) or 1
    rows, total = applying.conflicts(page)
    pages = max(1, -(-total // applying.CONFLICTS_PER_PAGE))
    if page < 1 or page > pages:  # a stale link after others were resolved
        return redirect(url_for("sync.conflicts", page=min(max(page, 1), pages)))
    return render_template("sync/conflicts.html", conflicts=rows, total=total, page=page,
                           pages=pages, stuck=applying.stuck_scans(), **_names_of(rows))


def _names_of(rows):
    """Device names and order numbers for the conflicts: people read those, not ids."""
    from ..accounts.models import Device
    device_ids = {r.device_id for r in rows if r.device_id}
    order_ids = {r.order_id for r in rows if r.order_id}
    devices = dict(db.session.execute(db.select(Device.id, Device.name).where(
        Device.id.in_(device_ids))).all()) if device_ids else {}
    orders = {o.id: o.number for o in db.session.scalars(db.select(Order).where(
        Order.id.in_(order_ids)))} if order_ids else {}
    return {"device_names": devices, "order_numbers": orders}


@bp.route("/sync/conflicts/<int:record_id>/resolve", methods=["POST"])
@allow("supervisor", "admin")
def resolve(record_id):
    """Record the supervisor's decision on a conflict."""
    try:
        applying.resolve(record_id, current_user.id, request.form.get("note", ""))
    except actions.Rejected:
        abort(404)
    db.session.commit()
    flash(_("Conflict resolved."), "ok")
    return redirect(url_for("sync.conflicts", page=request.form.get("page", 1, type=int)))
