"""Walking routes through the storage area: the layout model and three routing policies.

Pure code: no database, no Flask. Wave planning (``batching.py``) calls ``optimize``.

Layout model
------------
Every storage location has ``(zone: str, aisle: int >= 1, bay: int >= 1, level: int)``.

* Zones are blocks of ``aisles_per_zone`` parallel aisles, laid side by side in the order of
  ``Layout.zones``, with one aisle-width gap between blocks::

      global_aisle = zone_index * (aisles_per_zone + 1) + aisle        # 1, 2, ... never 0

* Every aisle runs from the front cross-aisle (y = 0) to the back cross-aisle
  (y = L = (bays_per_aisle + 1) * BAY_DEPTH); both cross-aisles run the full width.
* The pick face of bay b is at ``(x, y) = (global_aisle * AISLE_WIDTH, b * BAY_DEPTH)``.
  Level (height) adds no walking.
* The depot, where every route starts and ends (carts are collected there and dropped at
  packing), is on the front cross-aisle at x = 0, left of the first aisle.

Walking distance in metres between two points (the shortest path in this layout)::

    same aisle (x1 == x2):  |y1 - y2|
    different aisles:       min(y1 + y2, (L - y1) + (L - y2)) + |x1 - x2|

that is, leave by the front or by the back cross-aisle, whichever is shorter.

Routes
------
A stop is any object with a ``location`` (attribute or mapping key), or pass ``key=``.
Stops at the same pick face are always kept together (lowest level first), so duplicates
of a location are adjacent. Every policy returns ``Route(stops, length)``.

* ``s_shape``: the traversal baseline; ``largest_gap``: Hall (1993); ``optimize``: the
  largest gap and nearest-neighbour orders improved by 2-opt, the better one then by
  Or-opt, over the exact metric, and never longer than the S-shape order.
  ``route_length`` measures any order.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import add, sub
from typing import Any, NamedTuple

AISLE_WIDTH = 3.0  # metres between the centre lines of neighbouring aisles
BAY_DEPTH = 1.5  # metres between neighbouring bays along an aisle
MAX_PASSES = 8  # local-search passes; measured enough to converge on lists of 100 faces
EPSILON = 1e-9  # moves must gain more than rounding noise, or 2-opt could cycle


def get_field(obj: Any, name: str, default: Any = None) -> Any:
    """Return ``obj[name]`` for a mapping, ``obj.name`` otherwise (``default`` if absent)."""
    if type(obj) is dict:  # the common cases first, without the slower abstract-class check
        return obj.get(name, default)
    if isinstance(obj, tuple):  # a named tuple (a PickStop)
        return getattr(obj, name, default)
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def location_coords(loc: Any) -> tuple[str, int, int, int]:
    """Return ``(zone, aisle, bay, level)`` of a location object, mapping or tuple."""
    if isinstance(loc, tuple | list):
        zone, aisle, bay, *rest = loc
        return zone, aisle, bay, (rest[0] if rest else 0)
    return (get_field(loc, "zone"), get_field(loc, "aisle"), get_field(loc, "bay"),
            get_field(loc, "level", 0) or 0)


def stop_location(stop: Any) -> Any:
    """Default stop key: the stop's ``location``."""
    return get_field(stop, "location")


def point_distance(p: tuple[float, float], q: tuple[float, float], length: float) -> float:
    """Walking distance between two points of a layout whose aisles are ``length`` long."""
    (x1, y1), (x2, y2) = p, q
    if x1 == x2:
        return abs(y1 - y2)
    return min(y1 + y2, 2 * length - y1 - y2) + abs(x1 - x2)


@dataclass(frozen=True)
class Layout:
    """Zones of parallel aisles between a front and a back cross-aisle (see module doc)."""

    zones: tuple[str, ...]
    aisles_per_zone: int
    bays_per_aisle: int
    _zone_index: dict = field(init=False, repr=False, compare=False)
    _points: dict = field(init=False, repr=False, compare=False)  # location tuple -> (x, y)

    def __post_init__(self):
        object.__setattr__(self, "zones", tuple(self.zones))
        if not self.zones or self.aisles_per_zone < 1 or self.bays_per_aisle < 1:
            raise ValueError("a layout needs zones, aisles and bays")
        object.__setattr__(self, "_zone_index", {z: i for i, z in enumerate(self.zones)})
        object.__setattr__(self, "_points", {})

    @classmethod
    def from_locations(cls, rows: Iterable[Any], zones: Sequence[str] | None = None) -> Layout:
        """Size a layout to fit location rows; rows with aisle or bay < 1 (docks) are skipped.

        Zones are laid out in the order given, else in sorted order of their names.
        """
        faces = [c for c in map(location_coords, rows) if c[1] >= 1 and c[2] >= 1]
        if not faces:
            raise ValueError("no storage locations to build a layout from")
        return cls(tuple(zones) if zones else tuple(sorted({c[0] for c in faces})),
                   max(c[1] for c in faces), max(c[2] for c in faces))

    @property
    def length(self) -> float:
        """Aisle length L: front cross-aisle (y = 0) to back cross-aisle."""
        return (self.bays_per_aisle + 1) * BAY_DEPTH

    def point(self, loc: Any) -> tuple[float, float]:
        """The ``(x, y)`` of a location's pick face; ValueError if it is not in the layout.

        Remembered per location tuple: a wave asks for each of 300,000 lines twice."""
        known = self._points.get(loc) if isinstance(loc, tuple) else None
        if known is not None:
            return known
        zone, aisle, bay, _ = location_coords(loc)
        index = self._zone_index.get(zone)
        if index is None or not (1 <= aisle <= self.aisles_per_zone
                                 and 1 <= bay <= self.bays_per_aisle):
            raise ValueError(f"location {zone}-{aisle}-{bay} is outside the layout")
        point = (index * (self.aisles_per_zone + 1) + aisle) * AISLE_WIDTH, bay * BAY_DEPTH
        if isinstance(loc, tuple):
            self._points[loc] = point
        return point

    def distance(self, a: Any, b: Any) -> float:
        """Walking distance in metres between two locations."""
        return point_distance(self.point(a), self.point(b), self.length)


class Route(NamedTuple):
    """Stops in walking order and the length walked, depot to depot, in metres."""

    stops: list
    length: float


# ------------------------------------------------------------------ faces and tours
# Internally a route is a tour of node numbers: 0 is the depot, node i is points[i - 1],
# and a tour starts and ends with 0.

def _faces(layout, stops, key):
    """Group stops by pick face: ``(points, groups)``, each group lowest level first."""
    key = key or stop_location
    by_point: dict[tuple[float, float], list] = {}
    for seq, stop in enumerate(stops):
        loc = key(stop)
        level = location_coords(loc)[3] or 0
        by_point.setdefault(layout.point(loc), []).append((level, seq, stop))
    groups = [[stop for _, _, stop in sorted(group, key=lambda t: t[:2])]
              for group in by_point.values()]
    return list(by_point), groups


def _expand(tour, groups):
    """The stops of a tour's faces, in tour order."""
    return [stop for node in tour[1:-1] for stop in groups[node - 1]]


def _by_aisle(points):
    """``[(x, [(y, node), ...] front to back), ...]`` left to right."""
    aisles: dict[float, list] = {}
    for node, (x, y) in enumerate(points, 1):
        aisles.setdefault(x, []).append((y, node))
    return [(x, sorted(aisles[x])) for x in sorted(aisles)]


def distance_matrix(points: Sequence[tuple[float, float]], length: float) -> list[list[float]]:
    """Distances between the depot (node 0) and ``points`` (nodes 1..n), as rows."""
    pts = [(0.0, 0.0), *points]
    back = 2 * length
    # point_distance inlined (no calls to min) as this runs once per pick list
    return [[abs(y1 - y2) if x1 == x2 else
             (y1 + y2 if y1 + y2 <= length else back - y1 - y2) + abs(x1 - x2)
             for x2, y2 in pts] for x1, y1 in pts]


def tour_length(tour: Sequence[int], dist: Sequence[Sequence[float]]) -> float:
    """Length of a tour of node numbers."""
    return sum(dist[a][b] for a, b in zip(tour, tour[1:]))


def _return_visit(x, picks):
    """A single aisle, entered and left from the front: ``(nodes, length)``."""
    return [n for _, n in picks], 2 * x + 2 * picks[-1][0]


def _s_shape_tour(points, length):
    """S-shape: ``(tour, length of the policy's walk)``."""
    aisles = _by_aisle(points)
    if not aisles:
        return [0, 0], 0.0
    tour = [0]
    for i, (_, picks) in enumerate(aisles):
        tour += [n for _, n in (picks if i % 2 == 0 else reversed(picks))]
    x_last, picks_last = aisles[-1]
    k = len(aisles)
    walked = 2 * x_last + (k - k % 2) * length
    if k % 2:  # the last aisle is entered from the front and left the same way
        walked += 2 * picks_last[-1][0]
    return tour + [0], walked


def _split_at_largest_gap(picks, length):
    """Split one aisle's picks at its largest gap: ``(front part, back part, walk)``."""
    ys = [0.0] + [y for y, _ in picks] + [length]
    gaps = [b - a for a, b in zip(ys, ys[1:])]
    g = gaps.index(max(gaps))
    return picks[:g], picks[g:], 2 * (length - gaps[g])


def _largest_gap_tour(points, length):
    """Largest gap: ``(tour, length of the policy's walk)``."""
    aisles = _by_aisle(points)
    if len(aisles) < 2:
        nodes, walked = _return_visit(*aisles[0]) if aisles else ([], 0.0)
        return [0, *nodes, 0], walked
    (_, first), *middle, (x_last, last) = aisles
    tour, fronts, walked = [0, *(n for _, n in first)], [], 2 * x_last + 2 * length
    for _, picks in middle:  # out along the back cross-aisle, dipping into each aisle
        front, back, dip = _split_at_largest_gap(picks, length)
        tour += [n for _, n in reversed(back)]
        fronts.append(front)
        walked += dip
    tour += [n for _, n in reversed(last)]
    for front in reversed(fronts):  # home along the front cross-aisle
        tour += [n for _, n in front]
    return tour + [0], walked


# ------------------------------------------------------------------ local search

def nearest_neighbour(dist: Sequence[Sequence[float]]) -> list[int]:
    """A tour from the depot that always walks to the closest face not yet visited."""
    left, tour, here = set(range(1, len(dist))), [0], 0
    while left:
        row = dist[here]
        here = min(left, key=row.__getitem__)
        left.remove(here)
        tour.append(here)
    return tour + [0]


def _edges(tour, dist):
    """The length of each leg of a tour."""
    return [dist[a][b] for a, b in zip(tour, tour[1:])]


def two_opt(tour: list[int], dist: Sequence[Sequence[float]], passes: int = MAX_PASSES) -> int:
    """Improve a tour in place by reversing segments (2-opt); return the moves made.

    For each edge (a, b) the best exchange with a later edge (c, d) is applied at once;
    passes stop when one improves nothing, or after ``passes``.
    """
    return _two_opt(tour, dist, passes)[0]


def _two_opt(tour, dist, passes):
    """two_opt, also telling whether it stopped at a local optimum (a pass found nothing)."""
    moves, n = 0, len(tour)
    for _ in range(passes):
        improved, edges = False, _edges(tour, dist)
        for i in range(n - 3):
            row_a, row_b = dist[tour[i]], dist[tour[i + 1]]
            # the gain of each exchange, edge (a, b) aside: ac + bd - cd, every step in C
            deltas = list(map(sub, map(add, map(row_a.__getitem__, tour[i + 2:-1]),
                                        map(row_b.__getitem__, tour[i + 3:])), edges[i + 2:]))
            best = min(deltas)
            if best - edges[i] < -EPSILON:
                j = i + 2 + deltas.index(best)
                tour[i + 1:j + 1] = tour[j:i:-1]
                edges[i + 1:j] = edges[j - 1:i:-1]
                edges[i], edges[j] = row_a[tour[i + 1]], row_b[tour[j + 1]]
                improved, moves = True, moves + 1
        if not improved:
            return moves, True
    return moves, False


def or_opt(tour: list[int], dist: Sequence[Sequence[float]], passes: int = MAX_PASSES) -> int:
    """Improve a tour in place by moving runs of 1-3 faces elsewhere (Or-opt, Or 1976).

    A run may be reinserted either way round; return the number of moves made.
    """
    moves = 0
    for _ in range(passes):
        improved, edges = False, _edges(tour, dist)
        for size in (1, 2, 3):
            i = 1
            while i + size < len(tour):
                # most runs gain nothing by leaving: _move_run's first test, without a call
                if (edges[i - 1] + edges[i + size - 1] - dist[tour[i - 1]][tour[i + size]]
                        <= EPSILON):
                    i += 1
                elif _move_run(tour, dist, edges, i, size):
                    improved, moves, edges = True, moves + 1, _edges(tour, dist)
                else:
                    i += 1
        if not improved:
            break
    return moves


def _move_run(tour, dist, edges, i, size):
    """Move ``tour[i:i + size]`` to its best place if that shortens the tour."""
    p, s0, s1, q = tour[i - 1], tour[i], tour[i + size - 1], tour[i + size]
    d_pq = dist[p][q]
    gain = edges[i - 1] + edges[i + size - 1] - d_pq
    if gain <= EPSILON:
        return False
    rest = tour[:i] + tour[i + size:]
    rest_edges = edges[:i - 1] + [d_pq] + edges[i + size:]
    get0, get1 = dist[s0].__getitem__, dist[s1].__getitem__
    # a + b - e for each gap of the rest, in C (map) as in two_opt
    costs = list(map(sub, map(add, map(get0, rest), map(get1, rest[1:])), rest_edges))
    best, flip = min(costs), False
    if size > 1:
        turned = list(map(sub, map(add, map(get1, rest), map(get0, rest[1:])), rest_edges))
        if min(turned) < best:
            costs, best, flip = turned, min(turned), True
    if best >= gain - EPSILON:
        return False
    where = costs.index(best) + 1
    run = tour[i:i + size]
    tour[:] = rest[:where] + (run[::-1] if flip else run) + rest[where:]
    return True


def improve(tour: list[int], dist: Sequence[Sequence[float]], passes: int = MAX_PASSES,
            two_opt_done: bool = False) -> list:
    """2-opt then Or-opt, repeated while Or-opt still finds something; returns the tour.

    ``two_opt_done``: the tour is already a 2-opt optimum, so the first 2-opt round
    (one full pass that can find nothing) is skipped; the tour that comes out is the same.
    """
    for _ in range(passes):
        if not two_opt_done:
            _two_opt(tour, dist, passes)
        two_opt_done = False
        if not or_opt(tour, dist, passes):
            break
    return tour


# ------------------------------------------------------------------ public routes

KeyFunc = Callable[[Any], Any] | None


def route_length(layout: Layout, ordered_stops: Sequence[Any], *, key: KeyFunc = None) -> float:
    """Metres walked visiting ``ordered_stops`` in that order, depot to depot."""
    key = key or stop_location
    path = [(0.0, 0.0), *(layout.point(key(stop)) for stop in ordered_stops), (0.0, 0.0)]
    return sum(point_distance(p, q, layout.length) for p, q in zip(path, path[1:]))


def s_shape(layout: Layout, stops: Iterable[Any], *, key: KeyFunc = None) -> Route:
    """The S-shape (traversal) baseline.

    Every aisle holding a pick is walked end to end, left to right, alternating direction;
    with an odd number of such aisles the last one is entered from the front and left the
    same way. The length is that of the policy's walk; walking the same stop order by
    shortest paths (``route_length``) is never longer.
    """
    points, groups = _faces(layout, stops, key)
    tour, walked = _s_shape_tour(points, layout.length)
    return Route(_expand(tour, groups), walked)


def largest_gap(layout: Layout, stops: Iterable[Any], *, key: KeyFunc = None) -> Route:
    """The largest gap heuristic (Hall 1993; as described by Roodbergen & de Koster 2001).

    The leftmost and rightmost aisles with picks are traversed entirely (up, then down).
    Every aisle between them is entered from the back cross-aisle on the way out and from
    the front cross-aisle on the way home, each time up to its largest gap: the longest
    stretch between two neighbouring picks, or between a cross-aisle and its nearest pick,
    which is never walked. One aisle only: entered and left from the front. The length is
    that of the policy's walk (``route_length`` of the stops is never longer).

    Hall, R.W. (1993) Distance approximations for routing manual pickers in a warehouse.
    IIE Transactions 25(4), 76-87.
    """
    points, groups = _faces(layout, stops, key)
    tour, walked = _largest_gap_tour(points, layout.length)
    return Route(_expand(tour, groups), walked)


def optimize(layout: Layout, stops: Iterable[Any], *, key: KeyFunc = None,
             passes: int = MAX_PASSES) -> Route:
    """The route the app uses: local search over the exact metric, never worse than S-shape.

    The shorter of the largest gap order and the nearest-neighbour order is improved by
    2-opt, then by Or-opt and 2-opt in turn (2-opt from both starts walked 0.1 % less in
    benchmarks/wave_planning.py, for a quarter more routing time). The S-shape order wins if it is
    no longer, so the result is never longer than S-shape. The length is ``route_length``
    of the returned stops (the distance matrix is built once per call).
    """
    return optimize_with_s_shape(layout, stops, key=key, passes=passes)[0]


def optimize_with_s_shape(layout: Layout, stops: Iterable[Any], *, key: KeyFunc = None,
                          passes: int = MAX_PASSES) -> tuple[Route, float]:
    """``optimize``'s route and the S-shape policy's walk of the same stops (``s_shape``'s
    length), which it has at hand: a wave's baseline then needs no second routing."""
    points, groups = _faces(layout, stops, key)
    tour, walked, policy_walk = plan_tour(points, layout.length, passes)
    return Route(_expand(tour, groups), walked), policy_walk


def plan_tour(points: Sequence[tuple[float, float]], length: float,
              passes: int = MAX_PASSES) -> tuple[list[int], float, float]:
    """``optimize`` on bare pick faces: (tour of node numbers, its length, the S-shape
    policy's walk). Numbers in, numbers out, so other processes can run it (route_pool)."""
    if not points:
        return [0, 0], 0.0, 0.0
    dist = distance_matrix(points, length)
    tours = [_largest_gap_tour(points, length)[0], nearest_neighbour(dist)]
    tour = min(tours, key=lambda t: tour_length(t, dist))
    converged = _two_opt(tour, dist, passes)[1]
    if len(points) > 3:  # with three faces or fewer 2-opt has already tried every order
        improve(tour, dist, passes, two_opt_done=converged)
    baseline, policy_walk = _s_shape_tour(points, length)
    walked, s_walked = tour_length(tour, dist), tour_length(baseline, dist)
    if s_walked <= walked:
        tour, walked = baseline, s_walked
    return tour, walked, policy_walk
