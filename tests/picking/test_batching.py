"""Order batching: cart limits, groups, urgency, slots, and routed stops."""
import random
from collections import Counter
from datetime import datetime
from types import SimpleNamespace

import pytest

from webapp.picking import route_pool
from webapp.picking.batching import plan_batches, urgency
from webapp.picking.layout import Layout
from webapp.picking.routing import plan_tour, route_length, s_shape

LAYOUT = Layout(["A", "B"], 10, 20)
NOON, EVENING = datetime(2026, 1, 5, 12), datetime(2026, 1, 5, 17)


def order(oid, *faces, priority=0, cutoff=None, carrier="SF"):
    """An order as a mapping, one line per (zone, aisle, bay[, level]) face."""
    return {"id": oid, "priority": priority, "cutoff": cutoff, "carrier": carrier,
            "lines": [{"sku": f"{oid}-{n}", "location": face} for n, face in enumerate(faces)]}


def random_orders(seed, n):
    """n orders of 1-6 lines with mixed priorities, cutoffs, carriers and repeated faces."""
    rng = random.Random(seed)
    popular = [("A", rng.randint(1, 10), rng.randint(1, 20), 1) for _ in range(15)]
    orders = []
    for oid in range(n):
        faces = [rng.choice(popular) if rng.random() < 0.3 else
                 (rng.choice("AB"), rng.randint(1, 10), rng.randint(1, 20), rng.randint(1, 3))
                 for _ in range(rng.randint(1, 6))]
        orders.append(order(oid, *faces, priority=rng.choice([0, 0, 0, 1, 2]),
                            cutoff=rng.choice([NOON, EVENING, None]),
                            carrier=rng.choice(["SF", "YTO", "EMS"])))
    return orders


def ids(batch):
    """The ids of a batch's orders, in slot order."""
    return [o["id"] for o in batch.orders]


@pytest.fixture(scope="module")
def planned():
    """A random wave planned with small carts, grouped by carrier."""
    orders = random_orders(11, 400)
    return orders, plan_batches(orders, LAYOUT, max_orders=5, max_lines=12, group_key="carrier")


def test_every_order_lands_in_exactly_one_batch(planned):
    orders, batches = planned
    placed = Counter(oid for b in batches for oid in ids(b))
    assert sorted(placed) == sorted(o["id"] for o in orders) and set(placed.values()) == {1}


def test_carts_respect_their_limits(planned):
    _, batches = planned
    for batch in batches:
        assert 1 <= len(batch.orders) <= 5
        assert len(batch.stops) == sum(len(o["lines"]) for o in batch.orders) <= 12


def test_groups_are_never_mixed(planned):
    _, batches = planned
    for batch in batches:
        assert {o["carrier"] for o in batch.orders} == {batch.group}


def test_a_more_urgent_order_is_never_in_a_later_cart_of_its_group(planned):
    _, batches = planned
    by_group = {}
    for batch in batches:
        by_group.setdefault(batch.group, []).append(batch)
    for carts in by_group.values():
        for earlier, later in zip(carts, carts[1:]):
            assert min(map(urgency, later.orders)) >= max(map(urgency, earlier.orders))
    firsts = [min(map(urgency, b.orders)) for b in batches]
    assert firsts == sorted(firsts)  # across groups, the most urgent carts come first


def test_cart_slots_are_unique_and_stops_name_them(planned):
    _, batches = planned
    for batch in batches:
        assert sorted(batch.slots.values()) == list(range(1, len(batch.orders) + 1))
        for stop in batch.stops:
            assert batch.orders[stop.slot - 1] is stop.order
            assert stop.line in stop.order["lines"] and stop.location == stop.line["location"]
        assert len({id(s.line) for s in batch.stops}) == len(batch.stops)


def test_stops_are_routed_with_duplicates_together(planned):
    _, batches = planned
    for batch in batches:
        faces = [s.location[:3] for s in batch.stops]
        assert len([f for i, f in enumerate(faces) if i == 0 or faces[i - 1] != f]) \
            == len(set(faces))
        assert batch.length == pytest.approx(route_length(LAYOUT, batch.stops))
        assert batch.length <= s_shape(LAYOUT, batch.stops).length + 1e-9
        assert batch.s_shape == s_shape(LAYOUT, batch.stops).length  # the wave's baseline


def test_urgent_orders_go_first_even_when_far():
    orders = [order(1, ("A", 1, 1)), order(2, ("A", 1, 2)),
              order(3, ("B", 10, 20), priority=5), order(4, ("A", 1, 3), cutoff=NOON),
              order(5, ("A", 1, 4), cutoff=EVENING)]
    batches = plan_batches(orders, LAYOUT, max_orders=2, max_lines=10)
    # priority 5, then the noon cutoff, then the evening one, then no cutoff
    assert [ids(b) for b in batches] == [[3, 4], [5, 1], [2]]


def test_orders_sharing_aisles_share_a_cart():
    # arrival order alternates between aisle 1 and the far aisle 10 of zone B
    orders = [order(i, ("A", 1, 3 + i) if i % 2 else ("B", 10, 3 + i)) for i in range(8)]
    batches = plan_batches(orders, LAYOUT, max_orders=4, max_lines=10)
    assert sorted(sorted(ids(b)) for b in batches) == [[0, 2, 4, 6], [1, 3, 5, 7]]
    first_come = [orders[:4], orders[4:]]
    assert sum(b.length for b in batches) < sum(
        s_shape(LAYOUT, [line for o in cart for line in o["lines"]]).length
        for cart in first_come)


def test_an_order_larger_than_a_cart_goes_alone():
    big = order(1, *[("A", 2, bay) for bay in range(1, 8)])
    batches = plan_batches([order(0, ("A", 2, 1)), big, order(2, ("A", 2, 9))], LAYOUT,
                           max_orders=4, max_lines=5)
    assert sorted(ids(b) for b in batches) == [[0, 2], [1]]


def test_group_key_may_be_a_function_and_orders_objects():
    orders = [SimpleNamespace(id=i, priority=None, cutoff=NOON if i < 3 else EVENING,
                              carrier="SF", lines=[SimpleNamespace(location=("A", 1, i + 1))])
              for i in range(6)]
    batches = plan_batches(orders, LAYOUT, max_orders=6, max_lines=50,
                           group_key=lambda o: (o.carrier, o.cutoff))
    assert [sorted(b.slots) for b in batches] == [[0, 1, 2], [3, 4, 5]]
    assert [b.group for b in batches] == [("SF", NOON), ("SF", EVENING)]


def test_nothing_to_plan_and_bad_limits():
    assert plan_batches([], LAYOUT, max_orders=3, max_lines=10) == []
    with pytest.raises(ValueError):
        plan_batches([order(1, ("A", 1, 1))], LAYOUT, max_orders=0, max_lines=10)


def test_lists_routed_in_worker_processes_are_those_routed_here():
    orders = random_orders(23, 1200)  # ~300 lists: enough for route_pool to use workers
    here = plan_batches(orders, LAYOUT, max_orders=5, max_lines=12, group_key="carrier",
                        workers=1)
    assert len(here) >= 200
    pooled = plan_batches(orders, LAYOUT, max_orders=5, max_lines=12, group_key="carrier",
                          workers=2)
    assert [(ids(b), [s.line["sku"] for s in b.stops], b.length, b.s_shape) for b in pooled] \
        == [(ids(b), [s.line["sku"] for s in b.stops], b.length, b.s_shape) for b in here]
    # and the workers did run (no silent fall-back to routing here)
    faces = [LAYOUT.point(s.location) for s in here[0].stops]
    assert route_pool._in_workers([faces] * 3, LAYOUT.length, 2) == \
        [plan_tour(faces, LAYOUT.length)] * 3
