"""Local search on tours of node numbers: the distance matrix, nearest neighbour, 2-opt, Or-opt.

Pure numbers: no stops, no locations. A tour is a list of node numbers, 0 the depot and
node i the i-th pick face, starting and ending with 0. Separate from ``routing`` (which
turns stops into faces and back, and holds the aisle policies) because this is where
wave planning spends its time, tuned against benchmarks/wave_planning.py, and because
``route_pool``'s worker processes run it on bare numbers.
"""
from __future__ import annotations

from collections.abc import Sequence
from operator import add, sub

MAX_PASSES = 8  # local-search passes; measured enough to converge on lists of 100 faces
EPSILON = 1e-9  # moves must gain more than rounding noise, or 2-opt could cycle


def distance_matrix(points: Sequence[tuple[float, float]], length: float) -> list[list[float]]:
    """Distances between the depot (node 0) and ``points`` (nodes 1..n), as rows."""
    pts = [(0.0, 0.0), *points]
    back = 2 * length
    # layout.point_distance inlined (no calls to min) as this runs once per pick list
    return [[abs(y1 - y2) if x1 == x2 else
             (y1 + y2 if y1 + y2 <= length else back - y1 - y2) + abs(x1 - x2)
             for x2, y2 in pts] for x1, y1 in pts]


def tour_length(tour: Sequence[int], dist: Sequence[Sequence[float]]) -> float:
    """Length of a tour of node numbers."""
    return sum(dist[a][b] for a, b in zip(tour, tour[1:]))


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
