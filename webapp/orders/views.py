"""Supervisor pages for orders: list, detail, CSV intake, exceptions, fix, cancel."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import allow
from ..extensions import db
from ..packing.carriers import CARRIERS
from . import intake, messages, putback, services
from .models import ORDER_STATES, Order

from . import tiles  # noqa: F401,E402 - registers its console tile

bp = Blueprint("orders", __name__, template_folder="templates")
bp.add_app_template_global(messages.translate, "exception_message")

ORDER_VIEWERS = ("supervisor", "admin", "customer_service")
ORDER_MANAGERS = ("supervisor", "admin")


@bp.route("/orders")
@allow(*ORDER_VIEWERS)
def index():
    """Orders per state, filtered by state or number."""
    status = request.args.get("status", "")
    query = select(Order).order_by(Order.id.desc()).limit(200)
    if status in ORDER_STATES:
        query = query.where(Order.status == status)
    if request.args.get("q"):
        query = query.where(Order.channel_order_no.ilike(f"%{request.args['q'].strip()}%"))
    return render_template("orders/index.html", orders=db.session.scalars(query).all(),
                           counts=services.counts_by_status(), states=ORDER_STATES,
                           status=status)


@bp.route("/orders/<int:order_id>")
@allow(*ORDER_VIEWERS)
def show(order_id):
    """One order: lines, history, exceptions, and the actions its state allows."""
    order = db.get_or_404(Order, order_id)
    return render_template("orders/show.html", order=order, carriers=CARRIERS,
                           reserved=services.active_reservations(order.id))


@bp.route("/orders/import", methods=["GET", "POST"])
@allow(*ORDER_MANAGERS)
def import_orders():
    """Upload orders as CSV (one row per line); report the outcome of each order."""
    results, status = [], 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a CSV file to import."), "error")
            return render_template("orders/import.html", results=[],
                                   columns=intake.CSV_COLUMNS), 400
        try:
            payloads = intake.orders_from_csv(upload.read())
        except intake.IntakeError as error:
            flash(_("The file cannot be read: %(error)s", error=str(error)), "error")
            return render_template("orders/import.html", results=[],
                                   columns=intake.CSV_COLUMNS), 422
        results = [intake.intake(p, current_user.id) for p in payloads]
        db.session.commit()
        if any(r.outcome in ("held", "rejected") for r in results):
            status = 207 if any(r.outcome == "created" for r in results) else 422
    return render_template("orders/import.html", results=results,
                           columns=intake.CSV_COLUMNS), status


@bp.route("/orders/<int:order_id>/release", methods=["POST"])
@allow(*ORDER_MANAGERS)
def release(order_id):
    """Apply corrections to a held order and release it when valid."""
    try:
        problems = services.fix_and_release(order_id, request.form, current_user.id)
    except services.OrderError as error:
        flash(str(error), "error")
        return redirect(url_for("orders.show", order_id=order_id))
    db.session.commit()
    if problems:
        flash(_("Still on hold: %(problems)s", problems="; ".join(problems)), "error")
    else:
        flash(_("Order released."), "ok")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@allow(*ORDER_MANAGERS)
def cancel(order_id):
    """Cancel an order (picked units are routed back to stock)."""
    db.get_or_404(Order, order_id)
    if request.form.get("confirm") != "yes":  # the page's second step sends it
        flash(_("Nothing was cancelled: confirm the cancellation."), "error")
        return redirect(url_for("orders.show", order_id=order_id))
    try:
        services.cancel_order(order_id, current_user.id, request.form.get("note", ""))
    except services.OrderError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        putback.queue_putback(order_id)  # a packed order's units go back by put-away
        flash(_("Order cancelled."), "ok")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.route("/exceptions")
@allow(*ORDER_MANAGERS)
def exceptions():
    """Open exceptions: held orders, shortages, short picks."""
    return render_template("orders/exceptions.html", exceptions=services.open_exceptions())


@bp.route("/exceptions/<int:exception_id>/resolve", methods=["POST"])
@allow(*ORDER_MANAGERS)
def resolve_exception(exception_id):
    """Mark an exception handled."""
    try:
        services.resolve_exception(exception_id, current_user.id)
    except services.OrderError:
        abort(404)
    db.session.commit()
    return redirect(url_for("orders.exceptions"))
