"""Walking routes through the storage area: three routing policies.

Pure code: no database, no Flask. Wave planning (``batching.py``) calls ``optimize``.
Where pick faces are and how far apart is ``layout``; the local search ``optimize`` runs
on tours of node numbers is ``tour_search``. This module turns stops into faces and
tours back into stops, and holds the two aisle-by-aisle policies.

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

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from .layout import Layout, get_field, location_coords, point_distance
from .tour_search import (MAX_PASSES, _two_opt, distance_matrix, improve, nearest_neighbour,
                          tour_length)


def stop_location(stop: Any) -> Any:
    """Default stop key: the stop's ``location``."""
    return get_field(stop, "location")


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
