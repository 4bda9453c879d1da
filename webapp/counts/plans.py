"""Count plans: which locations a supervisor wants counted, and the job making the tasks.

A plan names its locations by zone, by a range of codes, by the bins holding a
product, or as a cycle: storage bins ranked by picks in the last 30 days (A: the
fifth picked most, counted monthly; B: the next 30 %, quarterly; C: the rest, twice
a year), each due when it has not been counted within its period.
"""
import json
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from ..catalog.models import Location, Product, StockLevel, StockMovement
from ..extensions import db
from ..timeutil import utcnow
from .models import LIVE_STATES, PLAN_KINDS, CountPlan, CountTask

CYCLE_DAYS = {"A": 30, "B": 91, "C": 182}
CHUNK = 2000  # task rows per INSERT: 50,000 locations in a few round trips


class PlanError(ValueError):
    """A plan that cannot be made; the message is shown."""


def parse_plan(form):
    """(kind, params) from the supervisor's form, or PlanError saying what is wrong."""
    kind = (form.get("kind") or "").strip()
    if kind not in PLAN_KINDS:
        raise PlanError(_("Choose what to count: a zone, a range, a product or the cycle."))
    if kind == "zone":
        zone = (form.get("zone") or "").strip()
        if not zone:
            raise PlanError(_("Name a zone."))
        if db.session.scalar(_storage().where(Location.zone == zone).limit(1)) is None:
            raise PlanError(_("No storage location is in zone %(zone)s.", zone=zone))
        return kind, {"zone": zone}
    if kind == "range":
        first, last = ((form.get(k) or "").strip().upper() for k in ("first", "last"))
        if not first or not last or first > last:
            raise PlanError(_("Give the first and the last location code, in order."))
        return kind, {"first": first, "last": last}
    if kind == "product":
        sku = (form.get("sku") or "").strip()
        if db.session.scalar(select(Product.id).where(Product.sku == sku)) is None:
            raise PlanError(_("Unknown SKU %(sku)s.", sku=sku[:64]))
        return kind, {"sku": sku}
    return kind, {}


def create_plan(kind, params, user_id):
    """A queued plan; its job (generate_tasks) makes the tasks."""
    plan = CountPlan(kind=kind, params_json=json.dumps(params), created_by_id=user_id)
    db.session.add(plan)
    db.session.flush()
    return plan


def recent_plans(limit=10):
    """The newest plans first."""
    return db.session.scalars(select(CountPlan).order_by(CountPlan.id.desc()).limit(limit)).all()


def generate_tasks(plan):
    """One open task per location of the plan that has no count waiting already.

    Safe to run twice: a location with a live task (this plan's or another's) is
    skipped, so a second run adds nothing.
    """
    plan.status = "running"
    params = json.loads(plan.params_json or "{}")
    wanted = _locations(plan.kind, params)
    live = set(db.session.scalars(select(CountTask.location_id).where(
        CountTask.status.in_(LIVE_STATES))))
    now = utcnow()
    rows = [{"plan_id": plan.id, "location_id": location_id, "status": "open",
             "source": f"plan:{plan.id}", "created_at": now}
            for location_id in wanted if location_id not in live]
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(CountTask), rows[start:start + CHUNK])
    plan.tasks_made = db.session.scalar(select(func.count()).where(CountTask.plan_id == plan.id))
    plan.status, plan.finished_at = "finished", utcnow()
    return plan


def _storage():
    """Active storage locations, walking order."""
    return (select(Location.id).where(Location.type == "storage", Location.active.is_(True))
            .order_by(Location.zone, Location.aisle, Location.bay, Location.level, Location.id))


def _locations(kind, params):
    """The location ids a plan counts, in walking order."""
    query = _storage()
    if kind == "zone":
        query = query.where(Location.zone == params["zone"])
    elif kind == "range":
        query = query.where(Location.code >= params["first"], Location.code <= params["last"])
    elif kind == "product":
        holding = select(StockLevel.location_id).join(
            Product, Product.id == StockLevel.product_id).where(
            Product.sku == params["sku"], StockLevel.quantity > 0)
        query = query.where(Location.id.in_(holding))
    elif kind == "cycle":
        due = set(cycle_due())
        return [location_id for location_id in db.session.scalars(query) if location_id in due]
    return db.session.scalars(query).all()


def abc_classes(now=None):
    """{location_id: "A"|"B"|"C"} for every active storage location, by picks in 30 days."""
    since = (now or utcnow()) - timedelta(days=30)
    picks = dict(db.session.execute(
        select(StockMovement.from_location_id, func.count())
        .where(StockMovement.reason == "pick", StockMovement.created_at >= since)
        .group_by(StockMovement.from_location_id)).all())
    ranked = sorted(db.session.scalars(_storage()), key=lambda i: (-picks.get(i, 0), i))
    a_end, b_end = round(len(ranked) * 0.2), round(len(ranked) * 0.5)
    return {location_id: "A" if n < a_end and picks.get(location_id) else
            "B" if n < b_end and picks.get(location_id) else "C"
            for n, location_id in enumerate(ranked)}


def cycle_due(now=None):
    """Storage locations whose class says they are due: not counted within its period."""
    now = now or utcnow()
    last = dict(db.session.execute(
        select(CountTask.location_id, func.max(CountTask.counted_at))
        .where(CountTask.counted_at.is_not(None)).group_by(CountTask.location_id)).all())
    due = []
    for location_id, klass in abc_classes(now).items():
        counted = last.get(location_id)
        if counted is not None and counted.tzinfo is None:  # SQLite gives naive UTC back
            counted = counted.replace(tzinfo=now.tzinfo)
        if counted is None or now - counted >= timedelta(days=CYCLE_DAYS[klass]):
            due.append(location_id)
    return due
