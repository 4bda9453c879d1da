"""上架 as a service that takes a source: plan tasks for passed units, then walk them.

A source kind (a receipt, a packed order cancelled before handoff, a return
later) registers how to list its units waiting in the receiving area (or at the
dock) and what happens when all are put away; planning and walking are the same
for every source.
"""
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..catalog.models import Location, StockLevel
from ..extensions import db
from ..picking import routing
from ..picking.layout import Layout
from ..timeutil import utcnow
from .models import PutawayRun, PutawayTask

WALK_SIZE = 40          # tasks per walk: what one trolley carries, routed as one list
DEFAULT_CAPACITY = 200  # units a bin holds when PUTAWAY_BIN_CAPACITY is not set


class PutawayError(ValueError):
    """Put-away that cannot be planned or done; the message is shown."""


@dataclass(frozen=True)
class Item:
    """Units of one product waiting in a receiving area for a bin."""

    line_id: int | None
    product_id: int
    quantity: int
    from_location_id: int


_SOURCES = {}


_LABELS = {}


def register_source(kind, *, items, finished, label=None):
    """Declare a source kind: `items(source_id)` lists its Items, `finished(source_id,
    user_id)` runs once its last task is done, `label(source_id)` names it on the
    receiver's screens (what to put away)."""
    _SOURCES[kind] = (items, finished)
    if label is not None:
        _LABELS[kind] = label


def open_runs():
    """Put-away runs with tasks still to do (a receipt's, a cancelled order's put-back),
    each with what the receiver reads for it."""
    runs = db.session.scalars(select(PutawayRun).where(
        PutawayRun.status.in_(("queued", "running", "failed"))
        | PutawayRun.id.in_(select(PutawayTask.run_id).where(PutawayTask.status == "pending")))
        .order_by(PutawayRun.id)).all()
    return [(run, source_label(run)) for run in runs]


def source_label(run):
    """What the receiver reads for a run's source ("Put away ..."), or ''."""
    label = _LABELS.get(run.source_kind)
    return label(run.source_id) if label else ""


def request_run(kind, source_id, user_id):
    """The source's put-away run, created (queued) when it has none; the caller commits
    and queues its planning job (receiving.jobs.plan_putaway)."""
    run = run_for(kind, source_id)
    if run is None:
        run = PutawayRun(source_kind=kind, source_id=source_id, requested_by_id=user_id)
        db.session.add(run)
        db.session.flush()
    return run


def plan(run, progress=None):
    """Create the run's tasks: a bin for every unit, walks routed. Safe to run again."""
    if run.source_kind not in _SOURCES:
        raise PutawayError(f"unknown put-away source {run.source_kind!r}")
    items = _SOURCES[run.source_kind][0](run.source_id)
    for task in list(run.tasks):  # an earlier attempt that did not finish
        db.session.delete(task)
    db.session.flush()
    bins = _Bins(current_app.config.get("PUTAWAY_BIN_CAPACITY", DEFAULT_CAPACITY))
    stops = []
    for done, item in enumerate(items, start=1):
        for location, quantity in bins.place(item.product_id, item.quantity):
            stops.append({"item": item, "location": location, "quantity": quantity})
        if progress and (done % 200 == 0 or done == len(items)):
            progress(done, len(items))
    _write_walks(run, stops, bins.layout)
    db.session.expire(run, ["tasks"])  # written by run_id: reload the collection
    run.status, run.error, run.finished_at = "finished", None, utcnow()
    db.session.flush()
    return run


class _Bins:
    """Storage bins with what they hold, read once; places units and remembers it."""

    def __init__(self, capacity):
        self.capacity = capacity
        rows = db.session.scalars(select(Location).where(
            Location.type == "storage", Location.active.is_(True))).all()
        if not rows:
            raise PutawayError(_("There are no storage bins to put stock away to."))
        self.by_id = {row.id: row for row in rows}
        self.layout = Layout.from_locations(
            [(r.zone, r.aisle, r.bay, r.level) for r in rows])
        self.used = defaultdict(int)          # units in (or planned for) each bin
        self.holding = defaultdict(list)      # product -> bins holding it
        levels = db.session.execute(select(
            StockLevel.location_id, StockLevel.product_id, StockLevel.quantity).where(
            StockLevel.location_id.in_(select(Location.id).where(Location.type == "storage")),
            StockLevel.quantity > 0))
        for location_id, product_id, quantity in levels:
            if location_id in self.by_id:
                self.used[location_id] += quantity
                self.holding[product_id].append(location_id)
        self.empty = defaultdict(list)        # zone -> empty bins, front first
        for row in sorted(rows, key=lambda r: (r.aisle, r.bay, r.level, r.code)):
            if not self.used[row.id]:
                self.empty[row.zone].append(row.id)

    def place(self, product_id, quantity):
        """[(location, units)]: bins holding the product with room, most room first,
        then the empty bins of its zone nearest its stock (the zone's front if none)."""
        placed = []
        for location_id in sorted(self.holding[product_id],
                                  key=lambda lid: (self.used[lid], self.by_id[lid].code)):
            quantity = self._fill(location_id, quantity, placed)
            if not quantity:
                return placed
        zone, anchor = self._zone_and_anchor(product_id)
        zones = [zone] + sorted(z for z in self.empty if z != zone)
        for candidate_zone in zones:
            for location_id in self._nearest_empty(candidate_zone, anchor):
                quantity = self._fill(location_id, quantity, placed)
                self.holding[product_id].append(location_id)
                if not quantity:
                    return placed
        raise PutawayError(_("No storage bin has room for %(qty)d more units.", qty=quantity))

    def _fill(self, location_id, quantity, placed):
        """Put as much as fits in one bin; return what is left."""
        room = self.capacity - self.used[location_id]
        units = min(room, quantity)
        if units > 0:
            self.used[location_id] += units
            placed.append((self.by_id[location_id], units))
        return quantity - max(units, 0)

    def _zone_and_anchor(self, product_id):
        """The zone holding most of the product (the first zone if none), and a bin of it."""
        held = self.holding[product_id]
        if not held:
            zone = next((z for z in self.layout.zones if self.empty.get(z)), self.layout.zones[0])
            return zone, None
        by_zone = defaultdict(int)
        for location_id in held:
            by_zone[self.by_id[location_id].zone] += self.used[location_id]
        zone = max(by_zone, key=lambda z: (by_zone[z], z))
        return zone, next(self.by_id[lid] for lid in held if self.by_id[lid].zone == zone)

    def _nearest_empty(self, zone, anchor):
        """Empty bins of a zone, nearest the anchor first; each is taken once."""
        bins = self.empty.get(zone, [])
        if anchor is not None:
            bins.sort(key=lambda lid: self.layout.distance(anchor, self.by_id[lid]))
        while bins:
            yield bins.pop(0)


def _write_walks(run, stops, layout):
    """Group stops by zone into walks of WALK_SIZE, each routed as the waves route."""
    by_zone = defaultdict(list)
    for stop in stops:
        by_zone[stop["location"].zone].append(stop)
    walk = 0
    for zone in sorted(by_zone):
        zone_stops = by_zone[zone]
        for start in range(0, len(zone_stops), WALK_SIZE):
            walk += 1
            route = routing.optimize(layout, zone_stops[start:start + WALK_SIZE])
            for sequence, stop in enumerate(route.stops, start=1):
                item = stop["item"]
                db.session.add(PutawayTask(
                    run_id=run.id, walk=walk, sequence=sequence, source_line_id=item.line_id,
                    product_id=item.product_id, quantity=stop["quantity"],
                    from_location_id=item.from_location_id,
                    suggested_location_id=stop["location"].id))
    db.session.flush()


def pending_count(run_id):
    """Tasks of a run not done yet."""
    return db.session.scalar(select(func.count(PutawayTask.id)).where(
        PutawayTask.run_id == run_id, PutawayTask.status == "pending"))


def finish_if_done(run, user_id):
    """Tell the source when its last task is done."""
    if run.status == "finished" and not pending_count(run.id):
        _SOURCES[run.source_kind][1](run.source_id, user_id)


def run_for(kind, source_id):
    """The put-away run of a source, or None."""
    return db.session.scalar(select(PutawayRun).where(PutawayRun.source_kind == kind,
                                                      PutawayRun.source_id == source_id))
