"""optimize, made faster for 100,000-order waves, plans exactly the routes it planned before.

The reference below is the local search as it was (list comprehensions, a 2-opt round
before every Or-opt round, Or-opt calling _move_run for every run): the faster one
computes the same sums in C, skips a 2-opt round that can find nothing, and tests a
run's gain before the call. Same tours, to the last bit of the lengths.
"""
import random

from test_routing import random_stops

from webapp.picking import routing, tour_search
from webapp.picking.layout import Layout
from webapp.picking.routing import optimize, optimize_with_s_shape, s_shape
from webapp.picking.tour_search import EPSILON, MAX_PASSES


def old_two_opt(tour, dist):
    """2-opt as it was."""
    n = len(tour)
    for _ in range(MAX_PASSES):
        improved, edges = False, [dist[a][b] for a, b in zip(tour, tour[1:])]
        for i in range(n - 3):
            row_a, row_b = dist[tour[i]], dist[tour[i + 1]]
            deltas = [ac + bd - cd for ac, bd, cd in zip(map(row_a.__getitem__, tour[i + 2:-1]),
                                                         map(row_b.__getitem__, tour[i + 3:]),
                                                         edges[i + 2:])]
            best = min(deltas)
            if best - edges[i] < -EPSILON:
                j = i + 2 + deltas.index(best)
                tour[i + 1:j + 1] = tour[j:i:-1]
                edges[i + 1:j] = edges[j - 1:i:-1]
                edges[i], edges[j] = row_a[tour[i + 1]], row_b[tour[j + 1]]
                improved = True
        if not improved:
            break


def old_move_run(tour, dist, edges, i, size):
    """One Or-opt move as it was."""
    p, s0, s1, q = tour[i - 1], tour[i], tour[i + size - 1], tour[i + size]
    gain = edges[i - 1] + edges[i + size - 1] - dist[p][q]
    if gain <= EPSILON:
        return False
    rest = tour[:i] + tour[i + size:]
    rest_edges = edges[:i - 1] + [dist[p][q]] + edges[i + size:]
    get0, get1 = dist[s0].__getitem__, dist[s1].__getitem__
    costs = [a + b - e for a, b, e in zip(map(get0, rest), map(get1, rest[1:]), rest_edges)]
    best, flip = min(costs), False
    if size > 1:
        turned = [a + b - e for a, b, e in zip(map(get1, rest), map(get0, rest[1:]), rest_edges)]
        if min(turned) < best:
            costs, best, flip = turned, min(turned), True
    if best >= gain - EPSILON:
        return False
    where, run = costs.index(best) + 1, tour[i:i + size]
    tour[:] = rest[:where] + (run[::-1] if flip else run) + rest[where:]
    return True


def old_or_opt(tour, dist):
    """Or-opt as it was; the number of moves."""
    moves = 0
    for _ in range(MAX_PASSES):
        improved = False
        for size in (1, 2, 3):
            i = 1
            while i + size < len(tour):
                edges = [dist[a][b] for a, b in zip(tour, tour[1:])]
                if old_move_run(tour, dist, edges, i, size):
                    improved, moves = True, moves + 1
                else:
                    i += 1
        if not improved:
            break
    return moves


def old_optimize(layout, stops):
    """optimize as it was: (stops in order, length)."""
    points, groups = routing._faces(layout, stops, None)
    dist = tour_search.distance_matrix(points, layout.length)
    tours = [routing._largest_gap_tour(points, layout.length)[0],
             tour_search.nearest_neighbour(dist)]
    tour = min(tours, key=lambda t: tour_search.tour_length(t, dist))
    old_two_opt(tour, dist)
    if len(points) > 3:
        for _ in range(MAX_PASSES):
            old_two_opt(tour, dist)
            if not old_or_opt(tour, dist):
                break
    baseline = routing._s_shape_tour(points, layout.length)[0]
    walked, s_walked = tour_search.tour_length(tour, dist), tour_search.tour_length(baseline, dist)
    if s_walked <= walked:
        tour, walked = baseline, s_walked
    return routing._expand(tour, groups), walked


def test_optimize_plans_the_same_routes_as_before_on_seeded_random_lists():
    rng = random.Random(1729)
    layout = Layout(["A", "B", "C", "D"], 20, 50)
    for case in range(400):
        stops = random_stops(rng, layout, rng.choice([1, 2, 3, 5, 12, 30, 60, 100]))
        route, s_walk = optimize_with_s_shape(layout, stops)
        assert route == optimize(layout, stops)
        before = old_optimize(layout, stops)
        assert ([id(s) for s in route.stops], route.length) == (
            [id(s) for s in before[0]], before[1]), case
        assert s_walk == s_shape(layout, stops).length  # the wave's baseline
