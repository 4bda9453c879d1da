"""Wave planning: allocate, batch allocated orders into pick lists, route each list."""
import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..catalog.models import Location
from ..extensions import db
from ..orders.models import Order, OrderLine
from ..timeutil import utcnow
from . import batching, routing
from .allocation import allocate_pending
from .models import PickList, PickTask, Reservation, Wave

DEFAULTS = {"max_orders": 12, "max_lines": 60}
LIMITS = {"max_orders": (1, 60), "max_lines": (1, 500)}


def parse_params(form):
    """The supervisor's limits from a form; ValueError with a message when wrong."""
    params = {}
    for name, (low, high) in LIMITS.items():
        text = (form.get(name) or str(DEFAULTS[name])).strip()
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(_("%(field)s must be a whole number from %(low)d to %(high)d.",
                               field=name, low=low, high=high))
        params[name] = int(text)
    params["carrier"] = (form.get("carrier") or "").strip().lower() or None
    priority = (form.get("min_priority") or "").strip()
    if priority and not priority.lstrip("-").isdigit():
        raise ValueError(_("Priority must be a whole number."))
    params["min_priority"] = int(priority) if priority else None
    cutoff = (form.get("cutoff_before") or "").strip()
    if cutoff:
        try:
            datetime.fromisoformat(cutoff)
        except ValueError as error:
            raise ValueError(_("The cutoff time is not a valid date and time.")) from error
    params["cutoff_before"] = cutoff or None
    return params


def recent(limit=10):
    """The newest waves first."""
    return db.session.scalars(select(Wave).order_by(Wave.id.desc()).limit(limit)).all()


def ready_counts():
    """Orders waiting for allocation, and allocated orders not yet in a pick list."""
    pending = db.session.scalar(select(func.count()).where(Order.status.in_(("new", "short"))))
    return {"pending": pending, "allocated": len(_unplanned_order_ids({}))}


def _unplanned_order_ids(params):
    """Allocated orders matching the wave's filters with no task still to walk.

    An order re-allocated after a short pick has finished tasks from its first
    list; only its new reservations become tasks.
    """
    in_lists = select(PickTask.order_id).where(PickTask.status == "pending")
    query = select(Order.id).where(Order.status == "allocated", Order.id.not_in(in_lists))
    if params.get("carrier"):
        query = query.where(Order.carrier == params["carrier"])
    if params.get("min_priority") is not None:
        query = query.where(Order.priority >= params["min_priority"])
    if params.get("cutoff_before"):
        query = query.where(Order.cutoff_at <= datetime.fromisoformat(params["cutoff_before"]))
    return db.session.scalars(query).all()


def run_wave(wave, progress=None):
    """Allocate, then plan pick lists for this wave; record the result on the wave."""
    params = json.loads(wave.params_json or "{}")
    wave.status = "running"
    db.session.commit()
    allocation = allocate_pending(user_id=wave.created_by_id, progress=progress)
    order_ids = _unplanned_order_ids(params)
    stops = _stops(order_ids)
    layout = layout_of_storage()
    orders = _orders_for_batching(order_ids, stops)
    batches = batching.plan_batches(orders, layout, max_orders=params["max_orders"],
                                    max_lines=params["max_lines"],
                                    group_key=lambda o: o["carrier"])
    distance, baseline = _write_lists(wave, batches, layout)
    wave.status, wave.finished_at = "finished", utcnow()
    wave.result_json = json.dumps({
        "lists": len(batches), "orders": len(order_ids), "short": allocation["short"],
        "allocated": allocation["allocated"], "distance_m": round(distance),
        "s_shape_m": round(baseline)})
    return wave


def _stops(order_ids):
    """One stop per active reservation of the orders: what to take from where."""
    rows = db.session.execute(
        select(Reservation.id, Reservation.order_line_id, Reservation.product_id,
               Reservation.location_id, Reservation.quantity, OrderLine.order_id,
               Location.zone, Location.aisle, Location.bay, Location.level)
        .join(OrderLine, OrderLine.id == Reservation.order_line_id)
        .join(Location, Location.id == Reservation.location_id)
        .where(Reservation.active.is_(True), OrderLine.order_id.in_(order_ids))).all()
    return [{"reservation_id": r.id, "order_line_id": r.order_line_id,
             "product_id": r.product_id, "location_id": r.location_id,
             "quantity": r.quantity, "order_id": r.order_id,
             "location": (r.zone, r.aisle, r.bay, r.level)} for r in rows]


def layout_of_storage():
    """The walking layout of every active storage location."""
    rows = db.session.execute(select(Location.zone, Location.aisle, Location.bay, Location.level)
                              .where(Location.type == "storage", Location.active.is_(True)))
    return routing.Layout.from_locations([tuple(row) for row in rows])


def _orders_for_batching(order_ids, stops):
    """Orders in the shape batching expects, their lines being the stops."""
    by_order = {}
    for stop in stops:
        by_order.setdefault(stop["order_id"], []).append(stop)
    rows = db.session.execute(select(Order.id, Order.priority, Order.cutoff_at, Order.carrier)
                              .where(Order.id.in_(list(by_order)))).all()
    # Cutoffs are rounded to the hour (a carrier collection): orders in one tier of
    # priority and cutoff can share a cart, a cutoff per order would forbid it.
    return [{"id": r.id, "priority": r.priority, "carrier": r.carrier, "lines": by_order[r.id],
             "cutoff": r.cutoff_at.replace(minute=0, second=0, microsecond=0)
             if r.cutoff_at else None} for r in sorted(rows, key=lambda r: r.id)]


def _write_lists(wave, batches, layout):
    """Store each batch as a pick list with tasks in route order; return total lengths."""
    distance = baseline = 0.0
    for batch in batches:
        pick_list = PickList(wave_id=wave.id, status="open", planned_distance_m=batch.length)
        db.session.add(pick_list)
        db.session.flush()
        db.session.add_all(PickTask(
            pick_list_id=pick_list.id, sequence=n, order_id=stop.line["order_id"],
            order_line_id=stop.line["order_line_id"], reservation_id=stop.line["reservation_id"],
            location_id=stop.line["location_id"], product_id=stop.line["product_id"],
            quantity=stop.line["quantity"], cart_slot=stop.slot)
            for n, stop in enumerate(batch.stops, start=1))
        distance += batch.length
        baseline += routing.s_shape(layout, batch.stops).length
    db.session.flush()
    return distance, baseline
