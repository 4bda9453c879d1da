"""KPIs read from the tables that hold the facts: finished pick tasks, synced scan
records, order events and stock levels (kept equal to the ledger).

Each KPI returns a Kpi: the columns and rows of its table (what the CSV export
writes and screen readers read) and the bars its chart draws from the same rows.
Periods are the warehouse's local days (see clock.py): a task finished at 00:10
counts for the day it was finished, whatever day its list was started.
"""
import math
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, case, cast, func, select

from ..accounts.models import User
from ..catalog.models import Location, Product, StockLevel
from ..extensions import db
from ..orders.models import Order, OrderEvent
from ..timeutil import utcnow
from .clock import local_time, period_bounds
from .rollup import picking_facts


TITLES = {
    "lines_per_hour": _l("Lines picked per hour"),
    "cycle_time": _l("Order cycle time (received → packed)"),
    "pick_accuracy": _l("Pick accuracy: wrong scans per 1,000"),
    "short_pick_rate": _l("Short-pick rate"),
    "on_time": _l("Orders packed on time against the cut-off"),
    "stock_watch": _l("Stock-outs and low stock"),
    "inventory_accuracy": _l("Inventory accuracy (账实相符率)"),
}


@dataclass
class Kpi:
    """One KPI's table (columns, rows) and chart (series names, bars: label and values)."""

    name: str
    title: object
    columns: list
    rows: list = field(default_factory=list)
    series: list = field(default_factory=list)
    bars: list = field(default_factory=list)
    unit: object = ""
    note: object = ""


def percentile(values, fraction):
    """The nearest-rank percentile of a list (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


def _hour_bucket(column):
    """The clock hour of a timestamp, as text, on SQLite and PostgreSQL alike."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc("hour", column), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def _person(user):
    """How a person is named in a table."""
    return (user.display_name or user.username) if user else "—"


def lines_per_hour(period, zone=None, person=None, now=None):
    """Lines picked per person ÷ the clock hours in which they picked (breaks don't count)."""
    facts = picking_facts(*period_bounds(period, now), zone=zone, person=person)
    users = _users(facts)
    rows = [[_person(users.get(uid)), f["done"], f["hours"],
             round(f["done"] / f["hours"], 1) if f["hours"] else 0.0]
            for uid, f in facts.items() if f["done"] or f["short"]]
    rows.sort(key=lambda row: -row[3])
    return Kpi("lines_per_hour", TITLES["lines_per_hour"],
               [_l("Person"), _l("Lines"), _l("Hours with picking"), _l("Lines per hour")],
               rows, [_l("Lines per hour")], [(r[0], [r[3]]) for r in rows], _l("lines/h"))


def _users(ids):
    """People by id."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _dialect():
    """'postgresql' or 'sqlite'."""
    return db.session.get_bind().dialect.name


def _minutes(later, earlier):
    """Minutes between two timestamp columns, computed by the database."""
    if _dialect() == "postgresql":
        return func.extract("epoch", later - earlier) / 60
    return (func.julianday(later) - func.julianday(earlier)) * 1440


def _local_day(column, now):
    """The warehouse's local day (MM-DD) of a timestamp column, computed by the database.
    SQLite has no timezones: it shifts by the warehouse's UTC offset as of `now`."""
    if _dialect() == "postgresql":
        zone = current_app.config["WAREHOUSE_TIMEZONE"]
        return func.to_char(func.timezone(zone, column), "MM-DD")
    offset = int(local_time(now or utcnow()).utcoffset().total_seconds() // 60)
    return func.strftime("%m-%d", column, f"{offset:+d} minutes")


def _packed(start, end, now, *columns):
    """A query over orders packed in [start, end) (an order is packed once): their local
    day, then `columns`."""
    packed_at = OrderEvent.created_at
    return (select(_local_day(packed_at, now).label("day"), *columns)
            .select_from(OrderEvent).join(Order, Order.id == OrderEvent.order_id)
            .where(OrderEvent.to_status == "packed", packed_at >= start, packed_at < end))


def _by_day(items):
    """Group (day, value) pairs by day, in order."""
    days = {}
    for day, value in items:
        days.setdefault(day, []).append(value)
    return sorted(days.items())


def cycle_time(period, now=None, **_filters):
    """Order received → packed, in minutes: p50 and p90 per day and overall."""
    start, end = period_bounds(period, now)
    facts = db.session.execute(_packed(start, end, now, _minutes(OrderEvent.created_at,
                                                                 Order.created_at))).all()
    rows = [[day, len(v), round(percentile(v, .5), 1), round(percentile(v, .9), 1)]
            for day, v in _by_day(facts)]
    everything = [minutes for _moment, minutes in facts]
    if everything:
        rows.append([_l("All"), len(everything), round(percentile(everything, .5), 1),
                     round(percentile(everything, .9), 1)])
    return Kpi("cycle_time", TITLES["cycle_time"],
               [_l("Day"), _l("Orders packed"), _l("p50 (min)"), _l("p90 (min)")], rows,
               [_l("p50"), _l("p90")], [(str(r[0]), [r[2], r[3]]) for r in rows], _l("min"),
               _l("Per zone and per person do not apply: an order is not picked by one."))


def pick_accuracy(period, zone=None, person=None, now=None):
    """Wrong scans per 1,000 pick scans, per person, from the synced scan records."""
    facts = picking_facts(*period_bounds(period, now), zone=zone, person=person)
    users = _users(facts)
    rows = [[_person(users.get(uid)), f["scans"], f["wrong"],
             round(1000 * f["wrong"] / f["scans"], 1)] for uid, f in facts.items() if f["scans"]]
    rows.sort(key=lambda row: -row[3])
    return Kpi("pick_accuracy", TITLES["pick_accuracy"],
               [_l("Person"), _l("Scans"), _l("Wrong scans"), _l("Per 1,000")], rows,
               [_l("Wrong per 1,000")], [(r[0], [r[3]]) for r in rows], "‰",
               _l("From scans synced by handhelds (online scans on the web page are judged "
                  "at once and not kept)."))


def short_pick_rate(period, zone=None, person=None, now=None):
    """Share of finished pick lines reported short, per person."""
    facts = picking_facts(*period_bounds(period, now), zone=zone, person=person)
    users = _users(facts)
    rows = []
    for uid, f in facts.items():
        lines = f["done"] + f["short"]
        if lines:
            rows.append([_person(users.get(uid)), lines, f["short"],
                         round(100 * f["short"] / lines, 1)])
    rows.sort(key=lambda row: -row[3])
    return Kpi("short_pick_rate", TITLES["short_pick_rate"],
               [_l("Person"), _l("Lines finished"), _l("Short lines"), _l("Short %")], rows,
               [_l("Short %")], [(r[0], [r[3]]) for r in rows], "%")


def on_time(period, now=None, **_filters):
    """Orders packed by their cut-off vs after it, per day (orders without one left out)."""
    start, end = period_bounds(period, now)
    query = _packed(start, end, now, func.count().filter(OrderEvent.created_at <= Order.cutoff_at),
                    func.count()).where(Order.cutoff_at.is_not(None))
    rows = [[day, good, total - good, round(100 * good / total, 1)]
            for day, good, total in db.session.execute(query.group_by("day").order_by("day"))]
    return Kpi("on_time", TITLES["on_time"],
               [_l("Day"), _l("On time"), _l("Late"), _l("On time %")], rows,
               [_l("On time"), _l("Late")], [(r[0], [r[1], r[2]]) for r in rows], _l("orders"),
               _l("Shipped means packed until handover is recorded."))


def stock_watch(period=None, limit=100, **_filters):
    """Products out of stock or at or below their reorder point (库存监控), worst first."""
    default = current_app.config["DEFAULT_REORDER_POINT"]
    # Only shelves count: stock in the packing area or the defective store is not for sale.
    available = func.coalesce(func.sum(case((Location.id.is_not(None),
                                             StockLevel.quantity - StockLevel.reserved),
                                            else_=0)), 0)
    point = func.coalesce(Product.reorder_point, default)
    query = (select(Product.sku, Product.name, cast(available, Integer), point)
             .outerjoin(StockLevel, StockLevel.product_id == Product.id)
             .outerjoin(Location, (Location.id == StockLevel.location_id)
                        & (Location.type == "storage"))
             .where(Product.active.is_(True))
             .group_by(Product.id, Product.sku, Product.name, Product.reorder_point)
             .having(available <= point).order_by(available, Product.sku))
    facts = db.session.execute(query).all()
    outs = sum(1 for row in facts if row[2] <= 0)
    rows = [[sku, name, qty, reorder, _l("Out of stock") if qty <= 0 else _l("Low")]
            for sku, name, qty, reorder in facts[:limit]]
    return Kpi("stock_watch", TITLES["stock_watch"],
               [_l("SKU"), _l("Product"), _l("Available"), _l("Reorder point"), _l("State")],
               rows, [_l("Products")], [(_l("Out of stock"), [outs]),
                                        (_l("Low"), [len(facts) - outs])], _l("products"),
               _l("Available = on the shelves of storage locations, less reserved units. "
                  "Reorder point %(n)d unless the product has its own.", n=default))


def inventory_accuracy(period, now=None, **_filters):
    """Bins counted per day, the share without variance, and the variances' value."""
    from ..counts.variances import daily_accuracy
    rows = [[day, bins, matching, round(100 * matching / bins, 1), f"{value / 100:.2f}"]
            for day, bins, matching, value in daily_accuracy(*period_bounds(period, now))]
    return Kpi("inventory_accuracy", TITLES["inventory_accuracy"],
               [_l("Day"), _l("Bins counted"), _l("Without variance"), _l("Accurate %"),
                _l("Variance value")], rows,
               [_l("Accurate %")], [(r[0], [r[3]]) for r in rows], "%",
               _l("From finished counts (盘点); a recount replaces the count it checked."))


KPIS = {"lines_per_hour": lines_per_hour, "cycle_time": cycle_time,
        "pick_accuracy": pick_accuracy, "short_pick_rate": short_pick_rate,
        "on_time": on_time, "stock_watch": stock_watch,
        "inventory_accuracy": inventory_accuracy}


def zones():
    """Storage zones, for the filter."""
    return db.session.scalars(select(Location.zone).where(Location.type == "storage")
                              .distinct().order_by(Location.zone)).all()
