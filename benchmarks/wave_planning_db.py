"""Wave planning on a database: a whole wave (allocate, batch, route, write) as the job runs it.

    .venv/bin/python benchmarks/wave_planning_db.py                # 100,000 orders / 50,000 bins
    .venv/bin/python benchmarks/wave_planning_db.py --quick        # 10,000 orders / 10,000 bins
    .venv/bin/python benchmarks/wave_planning_db.py --db sqlite

For each database: a warehouse of 10 zones x 20 aisles x 50 bays x 5 levels (50,000
storage locations, one product each, placed at random; --quick: 5 zones x 20 x 25 x 4),
orders of 1 + Poisson(2) lines (mean 3) of Zipf-popular products as in wave_planning.py,
and stock of each product from 0.8 to 1.5 times what the orders ask for, so some orders
go short. `webapp.picking.waves.run_wave` then plans one wave of every order (carts of
12 orders / 60 lines), in a process of its own so its peak memory is its own.

Baseline in the same run: the path before the set-based one (allocate_order and a commit
per order, pick lists written through the ORM one by one) on the first RATIO_ORDERS
orders of a second copy of the same data, against the current path on a third copy.
Both must give the same answer (order states and every reservation): the script says so.

Seeding is not timed. Exit status 0 when every run finished with the same answers.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Environment, databases, table  # noqa: E402
from wave_planning import cpu_seconds, make_orders  # noqa: E402

PLANS = {"full": dict(orders=100_000, zones="ABCDEFGHIJ", aisles=20, bays=50, levels=5,
                      ratio_orders=2_000),
         "quick": dict(orders=10_000, zones="ABCDE", aisles=20, bays=25, levels=4,
                       ratio_orders=1_000)}
TARGET_SECONDS = 20.0
HEADER = ("database", "orders", "path", "wall s", "CPU s", "alloc / batch+route / write s",
          "peak MB", "vs before")
PARAMS = {"max_orders": 12, "max_lines": 60}


# ---------------------------------------------------------------- seeding (not timed)
def seed(plan, orders, rng_seed=2026):
    """Locations, products, stock (through opening ledger lines) and orders, in bulk."""
    from sqlalchemy import insert

    from webapp.catalog.models import Location, Product, StockLevel, StockMovement, Warehouse
    from webapp.extensions import db
    from webapp.orders.models import Order, OrderLine
    rng = random.Random(rng_seed)
    conn = db.session.connection()
    conn.execute(insert(Warehouse), [{"id": 1, "code": "BENCH", "name": "Bench"}])
    places = [(z, a, b, lv) for z in plan["zones"] for a in range(1, plan["aisles"] + 1)
              for b in range(1, plan["bays"] + 1) for lv in range(1, plan["levels"] + 1)]
    conn.execute(insert(Location), [
        {"id": n, "warehouse_id": 1, "code": f"{z}-{a:02d}-{b:02d}-{lv}", "type": "storage",
         "zone": z, "aisle": a, "bay": b, "level": lv, "active": True}
        for n, (z, a, b, lv) in enumerate(places, 1)])
    place_id = {place: n for n, place in enumerate(places, 1)}
    conn.execute(insert(Product), [{"id": n, "sku": f"P{n - 1:05d}", "name": f"Item {n}",
                                    "active": True} for n in range(1, len(places) + 1)])
    slots = [None] * len(places)  # product index -> its location id
    demand, order_rows, line_rows = [0] * len(places), [], []
    for order in make_orders(places, orders, rng):
        order_rows.append({
            "id": order["id"], "channel": "bench", "channel_order_no": str(order["id"]),
            "status": "new", "priority": order["priority"], "carrier": order["carrier"].lower(),
            "cutoff_at": order["cutoff"].replace(tzinfo=timezone.utc), "ship_name": "Li Lei"})
        for line in sorted(order["lines"], key=lambda line: line["sku"]):
            p = int(line["sku"][1:])
            slots[p], demand[p] = place_id[line["location"]], demand[p] + 1
            line_rows.append({"id": len(line_rows) + 1, "order_id": order["id"],
                              "sku": line["sku"], "product_id": p + 1, "quantity": 1})
    stock = [max(0, round(d * rng.uniform(0.8, 1.5))) for d in demand]  # never asked: none
    conn.execute(insert(StockLevel), [
        {"product_id": p + 1, "location_id": slots[p], "quantity": q, "reserved": 0}
        for p, q in enumerate(stock) if q])
    conn.execute(insert(StockMovement), [
        {"product_id": p + 1, "to_location_id": slots[p], "quantity": q, "reason": "opening",
         "source": "bench-seed"} for p, q in enumerate(stock) if q])
    for start in range(0, orders, 20_000):
        conn.execute(insert(Order), order_rows[start:start + 20_000])
    for start in range(0, len(line_rows), 50_000):
        conn.execute(insert(OrderLine), line_rows[start:start + 50_000])
    db.session.commit()
    return len(places), len(line_rows)


# ---------------------------------------------------------------- the old path
def legacy_write_lists(wave, batches, layout):
    """Pick lists as written before: one ORM flush per list (the measured baseline)."""
    from webapp.extensions import db
    from webapp.picking import routing
    from webapp.picking.models import PickList, PickTask
    distance = baseline = 0.0
    for batch in batches:
        pick_list = PickList(wave_id=wave.id, status="open", planned_distance_m=batch.length)
        db.session.add(pick_list)
        db.session.flush()
        db.session.add_all(PickTask(
            pick_list_id=pick_list.id, sequence=n, order_id=stop.line["order_id"],
            order_line_id=stop.line["order_line_id"], reservation_id=stop.line["reservation_id"],
            location_id=stop.line["location_id"], product_id=stop.line["product_id"],
            quantity=stop.line["quantity"], cart_slot=stop.slot)
            for n, stop in enumerate(batch.stops, start=1))
        distance += batch.length
        baseline += routing.s_shape(layout, batch.stops).length
    db.session.flush()
    return distance, baseline


# ---------------------------------------------------------------- one measured wave
def run_child(path, limit):
    """Run one wave in this process (the app is configured by the environment); print JSON."""
    from webapp import create_app
    from webapp.extensions import db
    from webapp.picking import allocation, batching, waves
    from webapp.picking.models import Wave
    app = create_app()
    phases = {"allocate": 0.0, "batch and route": 0.0, "write lists": 0.0}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[name] += time.perf_counter() - started
        return wrapper
    allocate = allocation.allocate_one_by_one if path == "old" else allocation.allocate_pending
    waves.allocate_pending = timed("allocate", lambda **kw: allocate(limit=limit or None, **kw))
    waves.batching.plan_batches = timed("batch and route", batching.plan_batches)
    waves._write_lists = timed("write lists", legacy_write_lists if path == "old"
                               else waves._write_lists)
    with app.app_context():
        wave = Wave(params_json=json.dumps(PARAMS))
        db.session.add(wave)
        db.session.commit()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu = time.perf_counter(), cpu_seconds()
        waves.run_wave(wave)
        db.session.commit()
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        result = json.loads(wave.result_json)
    print(json.dumps({"wall": wall, "cpu": cpu, "phases": phases, "result": result,
                      "rss_children_mb":
                          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "rss_before_mb": rss_before / 1024}))


def measure(env, path, limit=0):
    """Run one wave in a child process; its JSON report."""
    done = subprocess.run([sys.executable, __file__, "--child", path, "--limit", str(limit)],
                          env=env.child_env(), capture_output=True, text=True, timeout=3600)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def answers(limit):
    """Order states and active reservations of the first `limit` orders (0: all)."""
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.orders.models import Order, OrderLine
    from webapp.picking.models import PickTask, Reservation
    states = select(Order.id, Order.status).order_by(Order.id)
    held = (select(Reservation.order_line_id, Reservation.location_id, Reservation.quantity)
            .join(OrderLine, OrderLine.id == Reservation.order_line_id)
            .where(Reservation.active.is_(True))
            .order_by(Reservation.order_line_id, Reservation.location_id))
    if limit:
        states, held = states.where(Order.id <= limit), held.where(OrderLine.order_id <= limit)
    states, held = db.session.execute(states).all(), db.session.execute(held).all()
    tasks = db.session.scalar(select(db.func.count()).select_from(PickTask))
    return [tuple(r) for r in states], [tuple(r) for r in held], tasks


def single_order_s_shape(plan):
    """Metres walked picking each planned order alone with S-shape routes (the baseline)."""
    from sqlalchemy import select

    from webapp.catalog.models import Location
    from webapp.extensions import db
    from webapp.picking import routing
    from webapp.picking.models import PickTask
    from webapp.picking.waves import layout_of_storage
    layout = layout_of_storage()
    by_order = {}
    for order_id, *place in db.session.execute(
            select(PickTask.order_id, Location.zone, Location.aisle, Location.bay,
                   Location.level).join(Location, Location.id == PickTask.location_id)):
        by_order.setdefault(order_id, []).append({"location": tuple(place)})
    return sum(routing.s_shape(layout, stops).length for stops in by_order.values())


def database_round(label, factory, plan, quick):
    """The ratio pair and the full wave on one database; rows for the tables."""
    rows, same = [], True
    with tempfile.TemporaryDirectory(prefix="bench-wave-") as folder:
        pair = {}
        for path in ("old", "new"):
            with factory() as url:
                env = Environment(url, Path(folder) / path)
                app = env.app()
                with app.app_context():
                    seed(plan, plan["ratio_orders"])
                report = measure(env, path)
                with app.app_context():
                    pair[path] = (report, answers(0))
        same = pair["old"][1] == pair["new"][1]
        old, new = pair["old"][0], pair["new"][0]
        rows.append((label, f"{plan['ratio_orders']:,}", "one by one (before)",
                     f"{old['wall']:.2f}", f"{old['cpu']:.2f}", _phases(old), f"{old['rss_mb']:.0f}",
                     "—"))
        rows.append((label, f"{plan['ratio_orders']:,}", "set-based", f"{new['wall']:.2f}",
                     f"{new['cpu']:.2f}", _phases(new), f"{new['rss_mb']:.0f}",
                     f"{old['wall'] / new['wall']:.1f}x"))
        with factory() as url:
            env = Environment(url, Path(folder) / "full")
            app = env.app()
            with app.app_context():
                locations, lines = seed(plan, plan["orders"])
            full = measure(env, "new")
            with app.app_context():
                single = single_order_s_shape(plan)
        result = full["result"]
        rows.append((label, f"{plan['orders']:,}", "set-based", f"{full['wall']:.2f}",
                     f"{full['cpu']:.2f}", _phases(full), f"{full['rss_mb']:.0f}", "—"))
    detail = (f"{label}: {plan['orders']:,} orders / {lines:,} lines over {locations:,} "
              f"locations: {result['allocated']:,} allocated, {result['short']:,} short, "
              f"{result['lists']:,} lists; walking {result['distance_m'] / 1000:,.1f} km vs "
              f"{single / 1000:,.1f} km single-order S-shape "
              f"(-{(1 - result['distance_m'] / single) * 100:.1f} %); same answers old/new "
              f"on {plan['ratio_orders']:,}: {'yes' if same else 'NO'}")
    return rows, detail, same


def _phases(report):
    """allocate / batch and route / write, seconds of wall time."""
    p = report["phases"]
    return f"{p['allocate']:.1f} / {p['batch and route']:.1f} / {p['write lists']:.1f}"


def main(argv=None):
    """Run every database's round and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--db", action="append", choices=("sqlite", "postgres"))
    parser.add_argument("--ratio-orders", type=int, help="orders of the old/new pair")
    parser.add_argument("--child", choices=("old", "new"), help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child, args.limit)
        return 0
    plan = dict(PLANS["quick" if args.quick else "full"])
    plan["ratio_orders"] = args.ratio_orders or plan["ratio_orders"]
    print(f"wave planning on a database, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} CPUs\n")
    rows, details, ok = [], [], True
    for label, factory in databases(args.db or ["sqlite", "postgres"]):
        got, detail, same = database_round(label, factory, plan, args.quick)
        print(table(HEADER, got), detail, sep="\n", flush=True)  # as it comes: runs are long
        rows += got
        details.append(detail)
        ok &= same
    print("\nall databases:")
    print(table(HEADER, rows))
    print()
    for detail in details:
        print(detail)
    print(f"target: the full wave <= {TARGET_SECONDS:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
