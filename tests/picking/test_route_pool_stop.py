"""A wave's job stopped mid-routing (RQ's timeout raises in the planning process) stops
routing: the lists still queued for the workers are dropped, not all routed first.

The executor's `with` waits for its work on the way out, which looked as if a stopped
job would route the whole wave first; it does not, because map's result iterator
cancels what is still queued when it is closed. This keeps it so."""
import os
import signal
import time
from functools import partial

import pytest

from webapp.picking import route_pool

LISTS, WORKERS = 400, 2


class Stopped(Exception):
    """What RQ's job timeout raises, in the main thread, from a signal."""


def slow_tour(points, length, marks):
    """A list's routing that takes a while and leaves a mark (the workers are other
    processes: a file is how the test sees how many lists they routed)."""
    time.sleep(0.02)
    with open(marks, "a") as marked:
        marked.write("x")
    return [], 0.0, 0.0


def test_queued_lists_are_dropped_when_the_job_is_stopped(tmp_path):
    marks = tmp_path / "marks"
    marks.touch()

    def stop(_signum, _frame):
        raise Stopped

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.3)  # while the first chunks are routed
    try:
        with pytest.raises(Stopped):
            route_pool._in_workers([[0]] * LISTS, 1.0, WORKERS,
                                   tour=partial(slow_tour, marks=str(marks)))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    time.sleep(3)  # the chunks in flight finish; nothing queued after them starts
    routed = os.path.getsize(marks)
    chunk = LISTS // (WORKERS * 8)
    # In flight when stopped: a chunk in each worker and the executor's call queue
    # (a chunk a worker, plus one), which cannot be taken back; not the other lists.
    assert routed <= (2 * WORKERS + 1) * chunk < LISTS, routed
