"""Order rules beyond intake: fixing and releasing held orders, cancelling."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..picking.allocation import release_order
from ..picking.models import PickList, PickTask, Reservation
from ..picking.closing import LIST_LOCK, settle_list
from ..picking.services import move_picked
from ..timeutil import utcnow
from . import intake, putback
from .models import ADDRESS_FIELDS, Order, OrderException, OrderLine
from .states import TransitionError, transition


class OrderError(ValueError):
    """An order action that is not allowed; the message is shown."""


def open_exceptions(limit=200):
    """Unresolved exceptions, oldest first: the supervisor's to-do list."""
    return db.session.scalars(select(OrderException).where(OrderException.resolved_at.is_(None))
                              .order_by(OrderException.id).limit(limit)).all()


def counts_by_status():
    """How many orders are in each state."""
    return dict(db.session.execute(select(Order.status, func.count()).group_by(Order.status)).all())


def fix_and_release(order_id, form, user_id):
    """Apply a supervisor's corrections to a held order; release it when valid.

    Returns the problems still left (empty when released). Corrections are kept
    even when problems remain, so the next pass starts from them.
    """
    order = db.session.get(Order, order_id)
    if order is None or order.status != "on_hold":
        raise OrderError(_("Only an order on hold can be fixed and released."))
    payload = {
        # What the form does not carry is kept, not reset.
        "carrier": form.get("carrier") or order.carrier,
        "priority": form.get("priority", order.priority),
        "cutoff_at": form.get("cutoff_at") or (order.cutoff_at and order.cutoff_at.isoformat()),
        "address": {name: form.get(name, "") for name in ADDRESS_FIELDS},
        "lines": [{"sku": sku, "quantity": qty, "unit_price": price} for sku, qty, price in
                  zip(form.getlist("sku"), form.getlist("quantity"), _prices(form)) if sku or qty],
    }
    order.lines.clear()
    db.session.flush()
    problems = intake._fill(order, payload)
    if problems:
        return [message for _kind, message in problems]
    for exception in db.session.scalars(select(OrderException).where(
            OrderException.order_id == order.id, OrderException.resolved_at.is_(None))):
        exception.resolved_at, exception.resolved_by_id = utcnow(), user_id
    transition(order, "new", user_id, "fixed and released")
    return []


def _prices(form):
    """The form's unit prices, one per line; blank for lines a form sent without one."""
    prices = form.getlist("unit_price")
    return prices + [""] * (len(form.getlist("sku")) - len(prices))


def resolve_exception(exception_id, user_id):
    """Mark an exception handled (e.g. a short pick the supervisor has dealt with)."""
    exception = db.session.get(OrderException, exception_id)
    if exception is None:
        raise OrderError(_("No such exception."))
    if exception.resolved_at is None:
        exception.resolved_at, exception.resolved_by_id = utcnow(), user_id
    return exception


def cancel_order(order_id, user_id, note=""):
    """Cancel an order; free its stock, and route units already picked back to stock.

    Pending pick tasks of the order are cancelled (the picker's screen skips
    them and says why); each unit already picked gets a putback task, on the
    picker's list when it is still being walked, else on a new open list.
    """
    order = db.session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None:
        raise OrderError(_("No such order."))
    was = order.status
    try:
        transition(order, "cancelled", user_id, note or "cancelled")
    except TransitionError as error:
        raise OrderError(_("Order %(number)s can no longer be cancelled.",
                           number=order.number)) from error
    if was == "packed":
        return _keep_back(order, user_id)
    tasks = db.session.scalars(select(PickTask).where(PickTask.order_id == order.id,
                                                      PickTask.kind == "pick")).all()
    midway = [t for t in tasks if t.status == "pending" and t.picked_qty]
    for task in midway:  # units in the cart: on the books they go there first
        move_picked(task, task.picked_qty, task.pick_list.picker_id, None)
    for task in tasks:
        if task.status == "pending":
            task.status = "cancelled"
    release_order(order)
    picked = [t for t in tasks if t.status in ("done", "short") and t.picked_qty]
    if picked or midway:
        _route_back(order, picked, midway)
    db.session.flush()
    for pick_list in {task.pick_list for task in tasks}:
        if pick_list.status == "in_progress":
            pick_list.cancelled_order_id = order.id  # the picker's next scan says so
        settle_list(pick_list, user_id)
    return order


def _keep_back(order, user_id):
    """A packed order cancelled before handoff: the booking is withdrawn, its parcels
    leave the manifest, a supervisor is told to have them unpacked at the dock, and a
    put-back run (the put-away walk, the order as its source) takes the units back to
    bins; the caller queues its planning (putback.queue_putback) after committing."""
    from ..handoff.services import withdraw_parcels
    from ..packing import carriers
    from ..packing.models import Shipment
    from ..packing.booking import booking_key
    shipment = db.session.scalar(select(Shipment).where(Shipment.order_id == order.id))
    adapter = shipment and carriers.get(shipment.carrier)
    if adapter is not None and shipment.status == "booked":
        adapter.cancel(booking_key(shipment))
    parcels = withdraw_parcels(order.id)
    db.session.add(OrderException(order_id=order.id, kind="cancelled_packed",
                                  message=f"cancelled after packing: take its {parcels} "
                                          f"parcel(s) off the dock and unpack them; "
                                          f"put-away takes the units back to bins"))
    putback.request_putback(order.id, user_id)
    db.session.flush()
    return order


def _route_back(order, picked_tasks, midway=()):
    """Add putback tasks for picked units to the live list, or to a new list.

    Units of a task picked midway go back first: the picker stands at that bin now
    (the putback takes the cancelled task's place in the route). Units of finished
    tasks go back at the end of the walk.
    """
    every = list(midway) + list(picked_tasks)
    live = next((t.pick_list for t in every if t.pick_list.status == "in_progress"), None)
    # Still walked once its row is locked? (picking.closing.task_left says why.)
    if live is not None and db.session.scalar(select(PickList.status).where(
            PickList.id == live.id).with_for_update(**LIST_LOCK)) != "in_progress":
        live = None
    target = live or PickList(status="open")
    if live is None:
        db.session.add(target)
        db.session.flush()
    sequence = max((t.sequence for t in target.tasks), default=0)
    for task in every:
        here = task in midway and task.pick_list_id == target.id
        if not here:
            sequence += 1
        db.session.add(PickTask(
            pick_list_id=target.id, sequence=task.sequence if here else sequence,
            kind="putback", order_id=order.id, order_line_id=task.order_line_id,
            location_id=task.location_id, product_id=task.product_id,
            quantity=task.picked_qty, cart_slot=task.cart_slot))
    db.session.add(OrderException(order_id=order.id, kind="cancelled_in_pick",
                                  message=f"{sum(t.picked_qty for t in every)} picked "
                                          f"units go back to stock"))
    db.session.flush()
    db.session.expire(target, ["tasks"])


def active_reservations(order_id):
    """Units reserved for an order now (for the order page)."""
    line_ids = select(OrderLine.id).where(OrderLine.order_id == order_id)
    return db.session.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
        Reservation.active.is_(True), Reservation.order_line_id.in_(line_ids)))
