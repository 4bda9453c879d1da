"""Order batching for wave planning: which orders share a cart, and in which order to pick.

Pure code: no database, no Flask. The layout and the distances are those of ``routing``.

An order is an object or a mapping with ``id``, ``priority`` (higher is more urgent; None
counts as 0), ``cutoff`` (a datetime, earlier is more urgent; None comes last), ``carrier``
and ``lines``; each line has a ``location``. Orders that share priority and cutoff are
equally urgent: they form one *tier*. Cutoffs are meant to be collection times, a few a
day, not a timestamp per order, or there is nothing left to choose from.

The heuristic is a seed algorithm in the sense of de Koster, van der Poort & Wolters
(1999): a cart is opened with a *seed* order and filled one order at a time by an *order
addition rule*, here:

* seed: of the most urgent tier's unplanned orders, the one that visits the most aisles,
  then the one reaching farthest from the depot (a far, spread-out order is the hardest
  to combine later, so it picks its companions first);
* addition: the order of the same tier that adds the fewest aisles the cart does not
  visit yet (ties: the order that arrived first), while the cart has a free slot and the
  lines fit. Only when its tier is used up may a cart take orders of the next tier, so a
  more urgent order is never planned into a later cart than a less urgent one of its group.

Orders of different groups (``group_key``, e.g. carrier and cutoff) never share a cart.
Candidates are found through an index from aisle to unplanned orders, so a step only
looks at orders that share an aisle with the cart, and only a window of each tier's
oldest orders is indexed at a time, so the work stays linear in the number of orders.
Each cart is then routed with ``routing.optimize`` (by ``route_pool``, in worker processes
for big waves). A line whose location is outside the layout raises ValueError.

de Koster, M.B.M., van der Poort, E.S. & Wolters, M. (1999) Efficient orderbatching
methods in warehouses. International Journal of Production Research 37(7), 1479-1504.
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from webapp.picking.route_pool import optimize_many
from webapp.picking.layout import Layout, get_field

# Candidates per tier at a time. Work per cart grows with the window: without one, a
# single tier of 30,000 orders took 3x as long as with it (and walked 6% less).
WINDOW = 2000


class PickStop(NamedTuple):
    """One line to pick: which order and cart slot it is for, and where."""

    order: Any
    line: Any
    slot: int
    location: Any


@dataclass
class Batch:
    """A pick list: ``orders[i]`` rides in cart slot ``i + 1``; ``stops`` in walking order."""

    group: Hashable
    orders: list
    stops: list[PickStop]
    length: float  # metres, depot to depot
    s_shape: float | None = None  # metres the S-shape policy walks for the same stops

    @property
    def slots(self) -> dict:
        """Order id -> cart slot."""
        return {get_field(order, "id"): slot for slot, order in enumerate(self.orders, 1)}


def urgency(order: Any) -> tuple:
    """Sort key: higher priority first, then earlier cutoff, no cutoff last."""
    cutoff = get_field(order, "cutoff")
    return -(get_field(order, "priority") or 0), cutoff is None, cutoff


class _Order:
    """An order as the planner sees it: its lines' aisles and how far it reaches."""

    __slots__ = ("index", "order", "lines", "aisles", "far", "planned")

    def __init__(self, index, order, layout):
        self.index, self.order, self.planned = index, order, False
        self.lines = list(get_field(order, "lines") or ())
        xs = {layout.point(get_field(line, "location"))[0] for line in self.lines}
        self.aisles, self.far = frozenset(xs), max(xs, default=0.0)


class _Tier:
    """One tier of one group: a window of its oldest unplanned orders, indexed by aisle.

    Only the window is looked at, which bounds the work per cart; it is topped up, in
    arrival order, as orders are planned.
    """

    def __init__(self, orders, window):
        self.queue, self.window, self.next, self.planned = orders, window, 0, 0
        self.seeds: list[tuple] = []
        self.by_aisle: dict[float, set[int]] = defaultdict(set)
        self.by_size: dict[int, set[int]] = defaultdict(set)  # number of aisles -> orders

    @property
    def left(self):
        """Orders of the tier not planned yet."""
        return len(self.queue) - self.planned

    def admit(self):
        """Top the window up; only between carts, so a cart's counts stay true."""
        while self.next < len(self.queue) and self.next - self.planned < self.window:
            o = self.queue[self.next]
            self.next += 1
            heapq.heappush(self.seeds, (-len(o.aisles), -o.far, o.index))
            self.by_size[len(o.aisles)].add(o.index)
            for aisle in o.aisles:
                self.by_aisle[aisle].add(o.index)

    def take(self, o):
        """Mark an order planned and drop it from the indexes."""
        o.planned, self.planned = True, self.planned + 1
        self.by_size[len(o.aisles)].discard(o.index)
        for aisle in o.aisles:
            self.by_aisle[aisle].discard(o.index)

    def seed(self, orders):
        """The unplanned order with the most aisles (then the farthest one)."""
        while orders[self.seeds[0][2]].planned:
            heapq.heappop(self.seeds)
        return orders[heapq.heappop(self.seeds)[2]]


class _Cart:
    """A cart being filled, with the aisles it visits already."""

    def __init__(self, max_orders, max_lines):
        self.orders, self.lines, self.aisles = [], 0, set()
        self.max_orders, self.max_lines = max_orders, max_lines

    def room(self):
        """Lines still free, or 0 when the cart is full."""
        return self.max_lines - self.lines if len(self.orders) < self.max_orders else 0

    def add(self, o):
        """Load an order; return the aisles it adds."""
        self.orders.append(o)
        self.lines += len(o.lines)
        new = o.aisles - self.aisles
        self.aisles |= new
        return new


def _fill(cart, tier, orders):
    """Add the tier's orders that add the fewest new aisles while the cart has room."""
    missing: dict[int, int] = {}  # order -> its aisles the cart does not visit yet
    levels: dict[int, set[int]] = defaultdict(set)  # missing count -> orders

    def visit(aisle):
        for i in tier.by_aisle.get(aisle, ()):
            m = missing.get(i)
            if m is None:
                m = len(orders[i].aisles)
            else:
                levels[m].discard(i)
            missing[i] = m - 1
            levels[m - 1].add(i)

    tier.admit()
    for aisle in cart.aisles:
        visit(aisle)
    while tier.left and cart.room() > 0:
        o = _best_addition(cart.room(), tier, orders, missing, levels)
        if o is None:
            return
        if o.index in missing:
            levels[missing.pop(o.index)].discard(o.index)
        tier.take(o)
        for aisle in cart.add(o):
            visit(aisle)


def _best_addition(room, tier, orders, missing, levels):
    """The fitting order adding the fewest aisles: one sharing an aisle, else any."""
    best, best_adds = None, float("inf")
    for adds in sorted(m for m, found in levels.items() if found):
        fits = [i for i in levels[adds] if len(orders[i].lines) <= room]
        if fits:
            best, best_adds = orders[min(fits)], adds
            break
    for size in sorted(k for k, found in tier.by_size.items() if found and k < best_adds):
        fits = [i for i in tier.by_size[size]
                if i not in missing and len(orders[i].lines) <= room]
        if fits:
            return orders[min(fits)]
    return best


def _plan_group(group_orders, orders, max_orders, max_lines, window):
    """Carts for one group: lists of ``_Order``, most urgent first."""
    by_tier: dict[tuple, list] = defaultdict(list)
    for o in group_orders:
        by_tier[urgency(o.order)].append(o)
    tiers = [_Tier(by_tier[key], window) for key in sorted(by_tier)]
    carts, t = [], 0
    while t < len(tiers):
        if not tiers[t].left:
            t += 1
            continue
        cart = _Cart(max_orders, max_lines)
        tiers[t].admit()
        seed = tiers[t].seed(orders)
        tiers[t].take(seed)
        cart.add(seed)
        for tier in tiers[t:]:
            _fill(cart, tier, orders)
            if tier.left or cart.room() <= 0:  # a less urgent tier waits for this one
                break
        carts.append(cart.orders)
    return carts


def plan_batches(orders: Iterable[Any], layout: Layout, *, max_orders: int, max_lines: int,
                 group_key: Callable[[Any], Hashable] | str | None = None,
                 window: int = WINDOW, workers: int | None = None) -> list[Batch]:
    """Group orders into routed pick lists, most urgent first (see the module docstring).

    ``group_key`` (a function of the order, or the name of one of its fields) keeps groups
    apart. A cart holds at most ``max_orders`` orders and ``max_lines`` lines; an order with
    more lines than that goes alone. Every order lands in exactly one batch. ``window``
    is how many of each tier's oldest unplanned orders are candidates at a time.
    ``workers``: processes routing the lists (``route_pool``; None: one per core, 1: here).
    """
    if min(max_orders, max_lines, window) < 1:
        raise ValueError("max_orders, max_lines and window must be at least 1")
    if isinstance(group_key, str):
        name = group_key
        group_key = lambda order: get_field(order, name)  # noqa: E731
    records = [_Order(i, order, layout) for i, order in enumerate(orders)]
    groups: dict[Hashable, list] = defaultdict(list)
    for o in records:
        groups[group_key(o.order) if group_key else None].append(o)
    planned = [(urgency(cart[0].order), group, cart)
               for group, members in groups.items()
               for cart in _plan_group(members, records, max_orders, max_lines, window)]
    planned.sort(key=lambda p: p[0])  # stable: each group keeps its own sequence
    routes = optimize_many(layout, [_stops(cart) for _, _, cart in planned], workers)
    return [Batch(group, [o.order for o in cart], route.stops, route.length, s_walk)
            for (_, group, cart), (route, s_walk) in zip(planned, routes)]


def _stops(cart):
    """A cart's lines as stops, each with its order's cart slot."""
    return [PickStop(o.order, line, slot, get_field(line, "location"))
            for slot, o in enumerate(cart, 1) for line in o.lines]
