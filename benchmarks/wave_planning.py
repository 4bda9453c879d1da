"""Wave planning benchmark: planning time and walking distance against simple baselines.

    .venv/bin/python benchmarks/wave_planning.py            # 10,000 orders, 30,000 lines
    .venv/bin/python benchmarks/wave_planning.py --quick    # 1,000 orders, 3,000 lines

A warehouse of 5 zones x 20 aisles x 25 bays x 4 levels (10,000 storage locations, one
product each, placed at random) receives orders of 1 + Poisson(2) lines (mean 3) whose
products follow a Zipf popularity (weight 1 / rank). Orders carry a priority, a carrier
and a cutoff; carts never mix carrier and cutoff. Distances are those of
``webapp.picking.routing``; S-shape figures are the S-shape policy's own walk.

Rows: single-order picking in arrival order with S-shape routes (the baseline); carts
filled first-come-first-served (arrival order, most urgent first, same limits and
groups); carts from ``plan_batches``; each with S-shape and with ``optimize`` routes.
The last column compares with FCFS carts on S-shape routes, a stronger baseline.
"""
from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webapp.picking.batching import plan_batches, urgency  # noqa: E402
from webapp.picking.layout import Layout  # noqa: E402
from webapp.picking.routing import optimize, route_length, s_shape  # noqa: E402

ZONES, AISLES, BAYS, LEVELS = "ABCDE", 20, 25, 4
CARRIERS = {"SF": 40, "YTO": 30, "EMS": 20, "Deppon": 10}
CUTOFFS = {datetime(2026, 1, 5, 12): 40, datetime(2026, 1, 5, 17): 60}
PRIORITIES = {0: 85, 1: 12, 2: 3}


def warehouse():
    """Every storage location as (zone, aisle, bay, level)."""
    return [(z, a, b, lv) for z in ZONES for a in range(1, AISLES + 1)
            for b in range(1, BAYS + 1) for lv in range(1, LEVELS + 1)]


def make_orders(locations, n_orders, rng):
    """Orders with 1 + Poisson-like extra lines (mean 3) of Zipf-popular products."""
    slots = locations[:]
    rng.shuffle(slots)  # product of popularity rank r lives at slots[r]
    weights, total = [], 0.0
    for rank in range(len(slots)):
        total += 1.0 / (rank + 1)
        weights.append(total)
    sizes = [1] * n_orders
    for i in rng.choices(range(n_orders), k=2 * n_orders):
        sizes[i] += 1
    pick = lambda: rng.choices(range(len(slots)), cum_weights=weights)[0]  # noqa: E731
    orders = []
    for number, size in enumerate(sizes, 1):
        products = set()
        while len(products) < size:
            products.add(pick())
        orders.append({
            "id": number,
            "priority": rng.choices(list(PRIORITIES), list(PRIORITIES.values()))[0],
            "cutoff": rng.choices(list(CUTOFFS), list(CUTOFFS.values()))[0],
            "carrier": rng.choices(list(CARRIERS), list(CARRIERS.values()))[0],
            "lines": [{"sku": f"P{p:05d}", "qty": 1, "location": slots[p]} for p in products],
        })
    return orders


def group_of(order):
    """Carts never mix carrier and cutoff."""
    return order["carrier"], order["cutoff"]


def fcfs_carts(orders, max_orders, max_lines):
    """Carts filled in arrival order (most urgent first) within each group."""
    open_carts, carts = {}, []
    for order in sorted(orders, key=urgency):
        cart = open_carts.get(group_of(order))
        lines = len(order["lines"])
        if cart is None or len(cart) >= max_orders or cart.lines + lines > max_lines:
            cart = open_carts[group_of(order)] = _Lines()
            carts.append(cart)
        cart.append(order)
        cart.lines += lines
    return carts


class _Lines(list):
    lines = 0


def walk(layout, carts, policy):
    """Total metres walked picking each cart's lines with a routing policy."""
    return sum(policy(layout, [line for o in cart for line in o["lines"]]).length
               for cart in carts)


def cpu_seconds():
    """CPU of this process and of its finished children (plan_batches' routing workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def main(argv=None):
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 orders instead of 10,000")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--max-orders", type=int, default=12)
    parser.add_argument("--max-lines", type=int, default=60)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    locations = warehouse()
    layout = Layout.from_locations(locations, zones=list(ZONES))
    orders = make_orders(locations, 1_000 if args.quick else 10_000, rng)
    n_lines = sum(len(o["lines"]) for o in orders)

    started, cpu = time.perf_counter(), cpu_seconds()
    batches = plan_batches(orders, layout, max_orders=args.max_orders,
                           max_lines=args.max_lines, group_key=group_of)
    planning, planning_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    cpu = time.process_time()
    for batch in batches:
        optimize(layout, batch.stops)
    routing_cpu = time.process_time() - cpu

    planned = [batch.orders for batch in batches]
    fcfs = fcfs_carts(orders, args.max_orders, args.max_lines)
    baseline = walk(layout, [[o] for o in orders], s_shape)
    rows = [
        ("single order, FCFS", len(orders), "S-shape", baseline),
        ("FCFS carts", len(fcfs), "S-shape", walk(layout, fcfs, s_shape)),
        ("FCFS carts", len(fcfs), "optimize", walk(layout, fcfs, optimize)),
        ("plan_batches", len(batches), "S-shape", walk(layout, planned, s_shape)),
        ("plan_batches", len(batches), "optimize", sum(b.length for b in batches)),
    ]
    print(f"{len(locations):,} locations, {len(orders):,} orders, {n_lines:,} lines; "
          f"carts of {args.max_orders} orders / {args.max_lines} lines\n")
    fcfs_s = rows[1][3]
    print(f"{'batching':<20}{'lists':>7}  {'routing':<9}{'walking km':>11}{'vs baseline':>13}"
          f"{'vs FCFS carts':>15}")
    for name, lists, policy, metres in rows:
        print(f"{name:<20}{lists:>7,}  {policy:<9}{metres / 1000:>11.1f}"
              f"{(metres / baseline - 1) * 100:>12.1f}%{(metres / fcfs_s - 1) * 100:>14.1f}%")
    total, s_planned = rows[-1][3], rows[-2][3]
    s_orders = sum(route_length(layout, s_shape(layout, b.stops).stops) for b in batches)
    print(f"\nplanning time (plan_batches, routing included): {planning:.2f} s wall, "
          f"{planning_cpu:.2f} s CPU with the routing workers' (optimize again on its "
          f"{len(batches):,} lists in this process: {routing_cpu:.2f} s CPU)")
    print(f"saving of batching alone (plan_batches, S-shape vs baseline): "
          f"{(1 - s_planned / baseline) * 100:.1f}%")
    print(f"saving of routing alone (optimize vs S-shape, same batches): "
          f"{(1 - total / s_planned) * 100:.1f}%; vs the S-shape order walked by shortest "
          f"paths ({s_orders / 1000:.1f} km): {(1 - total / s_orders) * 100:.1f}%")
    print(f"total saving vs baseline: {(1 - total / baseline) * 100:.1f}%"
          f"  (targets: planning <= 10 s, saving >= 25%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
