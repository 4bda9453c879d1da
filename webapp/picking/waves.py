"""Wave planning: allocate, batch allocated orders into pick lists, route each list."""
import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from ..audit import trail
from ..bulksql import insert_rows
from ..catalog.models import Location
from ..extensions import db
from ..orders.models import Order, OrderLine
from ..timeutil import utcnow
from . import batching, routing
from .layout import Layout
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
    allocated = db.session.scalar(select(func.count()).select_from(_unplanned({}).subquery()))
    return {"pending": pending, "allocated": allocated}


def _unplanned(params):
    """The query of allocated orders matching the wave's filters with no task still to walk.

    An order re-allocated after a short pick has finished tasks from its first
    list; only its new reservations become tasks. A query, not a list of ids: a
    wave of 100,000 orders would not fit in one statement's parameters on SQLite.
    """
    in_lists = select(PickTask.order_id).where(PickTask.status == "pending")
    query = select(Order.id).where(Order.status == "allocated", Order.id.not_in(in_lists))
    if params.get("carrier"):
        query = query.where(Order.carrier == params["carrier"])
    if params.get("min_priority") is not None:
        query = query.where(Order.priority >= params["min_priority"])
    if params.get("cutoff_before"):
        query = query.where(Order.cutoff_at <= datetime.fromisoformat(params["cutoff_before"]))
    return query


def run_wave(wave, progress=None):
    """Allocate, then plan pick lists for this wave; record the result on the wave."""
    params = json.loads(wave.params_json or "{}")
    wave.status = "running"
    db.session.commit()
    allocation = allocate_pending(user_id=wave.created_by_id, progress=progress)
    # The planning reads below go through the connection (no ORM autoflush): an
    # allocation still pending in the session would be invisible and get no list.
    db.session.flush()
    unplanned = _unplanned(params)
    stops = _stops(unplanned)
    layout = layout_of_storage()
    orders = _orders_for_batching(unplanned, stops)
    batches = batching.plan_batches(orders, layout, max_orders=params["max_orders"],
                                    max_lines=params["max_lines"],
                                    group_key=lambda o: o["carrier"])
    distance, baseline = _write_lists(wave, batches, layout)
    wave.status, wave.finished_at = "finished", utcnow()
    wave.result_json = json.dumps({
        "lists": len(batches), "orders": len(orders), "short": allocation["short"],
        "allocated": allocation["allocated"], "distance_m": round(distance),
        "s_shape_m": round(baseline)})
    return wave


def _stops(unplanned):
    """One stop per active reservation of the orders: what to take from where."""
    rows = db.session.connection().execute(
        select(Reservation.id, Reservation.order_line_id, Reservation.product_id,
               Reservation.location_id, Reservation.quantity, OrderLine.order_id,
               Location.zone, Location.aisle, Location.bay, Location.level)
        .join(OrderLine, OrderLine.id == Reservation.order_line_id)
        .join(Location, Location.id == Reservation.location_id)
        .where(Reservation.active.is_(True), OrderLine.order_id.in_(unplanned))
        .order_by(Reservation.id))
    return [{"reservation_id": r[0], "order_line_id": r[1], "product_id": r[2],
             "location_id": r[3], "quantity": r[4], "order_id": r[5],
             "location": (r[6], r[7], r[8], r[9])} for r in rows]


def layout_of_storage():
    """The walking layout of every active storage location."""
    rows = db.session.execute(select(Location.zone, Location.aisle, Location.bay, Location.level)
                              .where(Location.type == "storage", Location.active.is_(True)))
    return Layout.from_locations([tuple(row) for row in rows])


def _orders_for_batching(unplanned, stops):
    """Orders in the shape batching expects, their lines being the stops."""
    by_order = {}
    for stop in stops:
        by_order.setdefault(stop["order_id"], []).append(stop)
    rows = db.session.connection().execute(
        select(Order.id, Order.priority, Order.cutoff_at, Order.carrier)
        .where(Order.id.in_(unplanned)).order_by(Order.id))
    # Cutoffs are rounded to the hour (a carrier collection): orders in one tier of
    # priority and cutoff can share a cart, a cutoff per order would forbid it.
    return [{"id": r.id, "priority": r.priority, "carrier": r.carrier, "lines": by_order[r.id],
             "cutoff": r.cutoff_at.replace(minute=0, second=0, microsecond=0)
             if r.cutoff_at else None} for r in rows if r.id in by_order]


def _write_lists(wave, batches, layout):
    """Store each batch as a pick list with tasks in route order; return total lengths.

    Set-based: one INSERT of every list (their ids come back in order), one of every
    task, one of the lists' audit entries (the flush listener never sees Core inserts).
    """
    if not batches:
        return 0.0, 0.0
    connection, now = db.session.connection(), utcnow()
    list_ids = connection.scalars(
        insert(PickList).returning(PickList.id, sort_by_parameter_order=True),
        [{"wave_id": wave.id, "status": "open", "priority": 0, "created_at": now,
          "planned_distance_m": batch.length} for batch in batches]).all()
    insert_rows(connection, PickTask, [
        {"pick_list_id": list_id, "sequence": n, "kind": "pick", "order_id": line["order_id"],
         "order_line_id": line["order_line_id"], "reservation_id": line["reservation_id"],
         "location_id": line["location_id"], "product_id": line["product_id"],
         "quantity": line["quantity"], "cart_slot": stop.slot}
        for list_id, batch in zip(list_ids, batches)
        for n, (stop, line) in enumerate(((s, s.line) for s in batch.stops), start=1)])
    trail.record_many(db.session, "pick_list", [
        (list_id, None, {"status": "open", "picker_id": None, "priority": 0})
        for list_id in list_ids], action="created")
    distance = sum(batch.length for batch in batches)
    baseline = sum(routing.s_shape(layout, batch.stops).length if batch.s_shape is None
                   else batch.s_shape for batch in batches)
    return distance, baseline
