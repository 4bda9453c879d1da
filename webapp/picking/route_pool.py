"""Routing many pick lists at once, on every core the process may use.

A 100,000-order wave routes ~8,000 lists, ~5 s of local search in pure Python on one
core. Each list's search is independent, so the lists are routed by forked worker
processes when the wave is big enough to pay for starting them. Workers get bare pick
faces (numbers) and send back tours (numbers); stops never cross a process boundary.
The routes are those of ``routing.optimize_with_s_shape``, list for list: the same
function runs on the same faces, only elsewhere.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

from .layout import Layout
from .routing import Route, _expand, _faces, plan_tour

# Below this many lists starting the workers (~50 ms) costs more than it saves.
MIN_LISTS = 200
MAX_WORKERS = 4


def default_workers() -> int:
    """The cores this process may run on, at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def optimize_many(layout: Layout, stop_lists: Sequence[Sequence[Any]],
                  workers: int | None = None) -> list[tuple[Route, float]]:
    """(route, S-shape walk) of each list of stops, in the order given."""
    faces = [_faces(layout, stops, None) for stops in stop_lists]
    points = [p for p, _ in faces]
    workers = default_workers() if workers is None else workers
    tours = None
    if workers > 1 and len(points) >= MIN_LISTS:
        tours = _in_workers(points, layout.length, workers)
    if tours is None:
        tours = [plan_tour(p, layout.length) for p in points]
    return [(Route(_expand(tour, groups), walked), s_walk)
            for (tour, walked, s_walk), (_, groups) in zip(tours, faces)]


def _in_workers(points, length, workers, tour=plan_tour):
    """`tour` (plan_tour) of every list in forked workers; None when processes cannot
    be had. Stopped midway (RQ's job timeout raises here), map's iterator cancels the
    lists still queued: only those the workers hold are routed before the stop gets
    through (tests/picking/test_route_pool_stop.py).

    Fork: a worker starts as a copy of this process, with no imports to redo, and
    never touches the database connections it inherits (it only computes and exits).
    """
    chunk = max(1, len(points) // (workers * 8))  # small enough to keep both cores busy
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            return list(pool.map(partial(tour, length=length), points, chunksize=chunk))
    except (OSError, ValueError, BrokenProcessPool):  # no fork here, or no processes left
        return None
