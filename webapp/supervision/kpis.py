"""KPIs read from the tables that hold the facts: finished pick tasks, synced scan
records, order events and stock levels (kept equal to the ledger).

Each KPI returns a Kpi: the columns and rows of its table (what the CSV export
writes and screen readers read) and the bars its chart draws from the same rows.
Periods are the warehouse's local days (see clock.py): a task finished at 00:10
counts for the day it was finished, whatever day its list was started.
"""
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, case, cast, func, select

from ..accounts.models import User
from ..catalog.models import Location, Product, StockLevel
from ..extensions import db
from .clock import period_bounds
from .orderfacts import order_days, percentile
from .rollup import picking_facts


TITLES = {
    "lines_per_hour": _l("Lines picked per hour"),
    "cycle_time": _l("Order cycle time (received → packed)"),
    "pick_accuracy": _l("Pick accuracy: wrong scans per 1,000"),
    "short_pick_rate": _l("Short-pick rate"),
    "on_time": _l("Orders packed on time against the cut-off"),
    "stock_watch": _l("Stock-outs and low stock"),
    "inventory_accuracy": _l("Inventory accuracy (账实相符率)"),
    "returns": _l("Returns by reason (退换货)"),
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


def _day_label(day):
    """How a local day is named in a table and on a chart."""
    return day.strftime("%m-%d")


def cycle_time(period, now=None, **_filters):
    """Order received → packed, in minutes: p50 and p90 per day and overall (from the
    daily roll-up and today's events, orderfacts.py)."""
    days = order_days(*period_bounds(period, now))
    rows, everything = [], {}
    for day, facts in sorted(days.items()):
        cycle = facts["cycle"]
        rows.append([_day_label(day), facts["orders"], percentile(cycle, .5),
                     percentile(cycle, .9)])
        for minutes, orders in cycle.items():
            everything[minutes] = everything.get(minutes, 0) + orders
    if everything:
        rows.append([_l("All"), sum(everything.values()), percentile(everything, .5),
                     percentile(everything, .9)])
    return Kpi("cycle_time", TITLES["cycle_time"],
               [_l("Day"), _l("Orders packed"), _l("p50 (min)"), _l("p90 (min)")], rows,
               [_l("p50"), _l("p90")], [(str(r[0]), [r[2], r[3]]) for r in rows], _l("min"),
               _l("Per zone and per person do not apply: an order is not picked by one. "
                  "To the minute under 2 h, to 5 min under 10 h, to 15 min under a day, "
                  "to the hour beyond."))


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
    days = order_days(*period_bounds(period, now))
    rows = [[_day_label(day), f["on_time"], f["with_cutoff"] - f["on_time"],
             round(100 * f["on_time"] / f["with_cutoff"], 1)]
            for day, f in sorted(days.items()) if f["with_cutoff"]]
    return Kpi("on_time", TITLES["on_time"],
               [_l("Day"), _l("On time"), _l("Late"), _l("On time %")], rows,
               [_l("On time"), _l("Late")], [(r[0], [r[1], r[2]]) for r in rows], _l("orders"),
               _l("Shipped means packed until handover is recorded."))


def shelf_stock(*columns):
    """A query per active product of `columns`, then its available units and its reorder
    point (its own, else DEFAULT_REORDER_POINT); the two expressions come back too, for
    the caller's HAVING and ORDER BY. Available = on the shelves of storage locations,
    less reserved units: stock in the packing area or the defective store is not for sale.
    The stock watch and the reorder-point screen (reorder.py) both read this one."""
    available = func.coalesce(func.sum(case((Location.id.is_not(None),
                                             StockLevel.quantity - StockLevel.reserved),
                                            else_=0)), 0)
    point = func.coalesce(Product.reorder_point, current_app.config["DEFAULT_REORDER_POINT"])
    query = (select(*columns, cast(available, Integer), point)
             .outerjoin(StockLevel, StockLevel.product_id == Product.id)
             .outerjoin(Location, (Location.id == StockLevel.location_id)
                        & (Location.type == "storage"))
             .where(Product.active.is_(True))
             .group_by(Product.id, Product.sku, Product.name, Product.reorder_point,
                       Product.reorder_qty))
    return query, available, point


def stock_watch(period=None, limit=100, **_filters):
    """Products out of stock or at or below their reorder point (库存监控), worst first."""
    default = current_app.config["DEFAULT_REORDER_POINT"]
    query, available, point = shelf_stock(Product.sku, Product.name)
    facts = db.session.execute(query.having(available <= point)
                               .order_by(available, Product.sku)).all()
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


def returns(period, now=None, **_filters):
    """Returns opened in the period per reason: how many, and the units announced."""
    from ..returns.kpis import by_reason
    from ..returns.labels import REASON_LABELS
    rows = [[REASON_LABELS.get(reason, reason), count, units]
            for reason, count, units in by_reason(period_bounds(period, now)[0])]
    return Kpi("returns", TITLES["returns"], [_l("Reason"), _l("Returns"), _l("Units")], rows,
               [_l("Returns"), _l("Units")], [(r[0], [r[1], r[2]]) for r in rows], "",
               _l("Returns opened by customer service in the period; units as announced, "
                  "items found that were not on a return left out."))


KPIS = {"lines_per_hour": lines_per_hour, "cycle_time": cycle_time,
        "pick_accuracy": pick_accuracy, "short_pick_rate": short_pick_rate,
        "on_time": on_time, "stock_watch": stock_watch,
        "inventory_accuracy": inventory_accuracy, "returns": returns}


def zones():
    """Storage zones, for the filter."""
    return db.session.scalars(select(Location.zone).where(Location.type == "storage")
                              .distinct().order_by(Location.zone)).all()
