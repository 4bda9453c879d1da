"""The supervisor's console at scale: server time per request (median, p95) for the home
with every tile, each tile, the pick lists and devices pages and each KPI period, against
a plain page (the sign-in page) measured in the same run.

    .venv/bin/python benchmarks/console.py                 # 100,000 orders, 1,000,000 scans,
                                                           # 1,000,000 ledger lines, SQLite
    .venv/bin/python benchmarks/console.py --db postgres
    .venv/bin/python benchmarks/console.py --quick         # a tenth of that

Rows are written with SQLAlchemy Core in bulk (seeding is not measured); requests go
through the app in process (Flask's test client), so the time is the server's own:
routing, queries, rendering. Target: p95 <= 200 ms.
"""
import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta

from _harness import Environment, _cheap_password_hashing, databases, table

TARGET_MS = 200


def seed(db, scale, rng):
    """Orders, events, pick lists and tasks, scans and ledger lines over 30 days."""
    from webapp.accounts.models import Device
    from webapp.accounts.services import create_user
    from webapp.catalog.models import Location, Product, StockLevel, StockMovement, Warehouse
    from webapp.orders.models import Order, OrderEvent, OrderException, OrderLine
    from webapp.picking.models import PickList, PickTask
    from webapp.sync.models import ScanRecord
    from webapp.timeutil import utcnow
    now = utcnow()
    orders, scans, ledger = 100_000 // scale, 1_000_000 // scale, 1_000_000 // scale
    with _cheap_password_hashing():
        create_user("boss", "bench-password", ["supervisor"])
        pickers = [create_user(f"p{n}", "bench-password", ["picker"]) for n in range(50)]
    db.session.flush()
    picker_ids = [p.id for p in pickers]
    warehouse = Warehouse(code="B", name="Bench")
    db.session.add(warehouse)
    db.session.flush()
    locations = [{"warehouse_id": warehouse.id, "code": f"{z}-{n:04d}", "zone": z,
                  "type": "storage"} for z in "ABC" for n in range(400)]
    locations.append({"warehouse_id": warehouse.id, "code": "PACK-1", "zone": "P",
                      "type": "packing"})
    _bulk(db, Location, locations)
    products = [{"sku": f"S{n:05d}", "name": f"Product {n}"} for n in range(5000)]
    _bulk(db, Product, products)
    _bulk(db, StockLevel, [{"product_id": n + 1, "location_id": (n % 1200) + 1,
                            "quantity": rng.randint(0, 200), "reserved": 0}
                           for n in range(5000)])
    _bulk(db, Device, [{"name": f"HH-{n}", "token_hash": uuid.uuid4().hex,
                        "pending_scans": rng.choice((0, 0, 0, 5, 40)),
                        "last_seen_at": now - timedelta(minutes=rng.randint(0, 600)),
                        "registered_at": now - timedelta(days=40)} for n in range(60)])
    span = 30 * 24 * 3600

    def moment():
        return now - timedelta(seconds=rng.randint(0, span))
    rows, events, lines = [], [], []
    for n in range(orders):
        created = moment()
        open_order = n % 50 == 0
        status = rng.choice(("new", "allocated", "picking", "picked")) if open_order else "packed"
        rows.append({"channel": "b", "channel_order_no": str(n), "status": status,
                     "carrier": rng.choice(("builtin", "sf", "ems")), "created_at": created,
                     "updated_at": created,
                     "cutoff_at": now + timedelta(hours=rng.randint(-3, 8)) if open_order
                     else created + timedelta(hours=rng.randint(2, 30))})
        lines.append({"order_id": n + 1, "sku": "S00001", "product_id": 1 + n % 5000,
                      "quantity": 1})
        if not open_order:
            packed = min(now, created + timedelta(minutes=rng.randint(20, 900)))
            events.append({"order_id": n + 1, "from_status": "picked", "to_status": "packed",
                           "created_at": packed})
            if packed < now - timedelta(days=1):  # the courier took it (交接)
                rows[-1]["status"] = "handed_over"
                events.append({"order_id": n + 1, "from_status": "packed",
                               "to_status": "handed_over",
                               "created_at": packed + timedelta(hours=2)})
    _bulk(db, Order, rows)
    _bulk(db, OrderLine, lines)
    _bulk(db, OrderEvent, events)
    _bulk(db, OrderException, [{"order_id": n * 50 + 1, "kind": "address_error", "message": "m",
                                "created_at": moment()} for n in range(min(200, orders // 50))])
    tasks_per_list, lists = 10, orders // 10
    _bulk(db, PickList, [{"picker_id": rng.choice(picker_ids),
                          "status": "in_progress" if n < 50 else "done", "priority": 0,
                          "planned_distance_m": 0.0, "created_at": now, "started_at": now}
                         for n in range(lists)])
    _bulk(db, PickTask, [{"pick_list_id": 1 + n // tasks_per_list, "sequence": n % 10,
                          "kind": "pick", "order_id": n + 1, "order_line_id": n + 1,
                          "location_id": 1 + n % 1200, "product_id": 1 + n % 5000,
                          "quantity": 1, "picked_qty": 1, "cart_slot": 1,
                          "location_confirmed": True,
                          "status": rng.choice(("done",) * 30 + ("short",)),
                          "done_at": moment()} for n in range(orders)])
    _bulk(db, ScanRecord, [{"scan_uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                            "device_id": 1 + n % 60, "seq": n, "user_id": rng.choice(picker_ids),
                            "action": "pick", "code": "X", "quantity": 1,
                            "pick_list_id": 1 + (n % lists), "task_id": 1 + n % orders,
                            "status": "rejected" if n % 97 == 0 else
                            ("conflict" if n % 9973 == 0 else "applied"),
                            "reason": "", "server_time": moment(), "device_time": moment()}
                           for n in range(scans)])
    _bulk(db, StockMovement, [{"product_id": 1 + n % 5000, "from_location_id": 1 + n % 1200,
                               "to_location_id": 1201, "quantity": 1, "reason": "pick",
                               "source": f"pick-task:{n}", "created_at": moment()}
                              for n in range(ledger)])
    db.session.commit()
    return {"orders": orders, "scans": scans, "ledger": ledger}


def _bulk(db, model, rows, size=20_000):
    """INSERT rows in chunks with Core executemany."""
    for start in range(0, len(rows), size):
        db.session.execute(model.__table__.insert(), rows[start:start + size])
    db.session.flush()


def timed(client, path, runs):
    """Server times of `runs` GETs of path, in ms (one warm-up first)."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        samples.append(1000 * (time.perf_counter() - started))
        assert response.status_code == 200, (path, response.status_code)
    return sorted(samples)


def p95(samples):
    """Nearest-rank 95th percentile of sorted samples."""
    return samples[max(0, -(-len(samples) * 95 // 100) - 1)]


PATHS = ["/", "/console/tiles/orders", "/console/tiles/picking", "/console/tiles/exceptions",
         "/console/tiles/conflicts", "/console/tiles/jobs", "/console/tiles/devices",
         "/console/picklists", "/console/devices", "/console/kpis?period=30d"]
PATHS += [f"/console/kpis/chart/{name}?period={period}"
          for name in ("lines_per_hour", "cycle_time", "pick_accuracy", "short_pick_rate",
                       "on_time", "stock_watch") for period in ("today", "30d")]
PATHS += ["/console/kpis/chart/lines_per_hour?period=30d&zone=A",
          "/console/kpis/pick_accuracy.csv?period=30d"]


def main(argv=None):
    """Seed, sign in, time each page against the plain page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data, fewer runs")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-rollup", action="store_true",
                        help="KPIs from the facts alone, as before the hourly job first ran")
    parser.add_argument("--no-analyze", action="store_true",
                        help="PostgreSQL: leave the freshly loaded tables without statistics")
    parser.add_argument("--rounds", type=int, default=1,
                        help="time every request this many times over (same data)")
    args = parser.parse_args(argv)
    runs = 10 if args.quick else args.runs
    (label, make_db), = databases([args.db])
    with make_db() as url, tempfile.TemporaryDirectory(prefix="bench-console-") as folder:
        env = Environment(url, folder)
        app = env.app()
        from webapp.extensions import db
        try:
            with app.app_context():
                started = time.perf_counter()
                sizes = seed(db, 10 if args.quick else 1, random.Random(5))
                seeding = time.perf_counter() - started
                rolled = None
                if not args.no_rollup:  # what the hourly job keeps done (webapp/periodic.py)
                    from webapp.supervision.jobs import roll_up_kpis
                    started = time.perf_counter()
                    roll_up_kpis()  # both: hours of picking facts, days of order facts
                    rolled = time.perf_counter() - started
                analysed = not args.no_analyze and analyse(db)
                db.session.remove()
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            assert client.post("/login", data={"username": "boss", "password": "bench-password",
                                               "csrf_token": token}).status_code == 302
            rounds = [time_round(app, client, runs) for _ in range(args.rounds)]
        finally:
            env.drop_queues()
    for number, (results, load) in enumerate(rounds, 1):
        report(label, sizes, seeding, rolled, analysed, runs, results,
               f"; load average {load}"
               + (f" (round {number} of {len(rounds)})" if len(rounds) > 1 else ""))
    return 0


def analyse(db):
    """ANALYZE on PostgreSQL, True when done: the tables were loaded in one transaction
    and this server runs with autovacuum off, so without it the planner has no
    statistics (a production server's autovacuum analyses a table after that many
    inserts). Without them it reads all 1,000,000 scan records for 50 lists."""
    if db.engine.dialect.name != "postgresql":
        return False
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return True


def time_round(app, client, runs):
    """([(path, sorted samples)], load): each path between the plain page before and
    after, and the machine's load at the end of the round."""
    results = [("plain page: /login (baseline)", timed(app.test_client(), "/login", runs))]
    results += [(path, timed(client, path, runs)) for path in PATHS]
    results.append(("plain page again (baseline)", timed(app.test_client(), "/login", runs)))
    return results, load_note()


def report(label, sizes, seeding, rolled, analysed, runs, results, heading=""):
    """Print one round's table against its own plain page."""
    base = statistics.median(results[0][1] + results[-1][1])
    print(f"\n#### The console on {label}: {sizes['orders']:,} orders, {sizes['scans']:,} scan "
          f"records, {sizes['ledger']:,} ledger lines (seeded in {seeding:.0f} s), "
          f"{runs} requests each; "
          + (f"the roll-ups' first run (31 days) took {rolled:.1f} s" if rolled
             else "no roll-up: every KPI from the facts")
          + ("; tables analysed" if analysed else "") + f"{heading}\n")
    rows = [(path, f"{statistics.median(s):.1f} ms", f"{p95(s):.1f} ms",
             f"{statistics.median(s) / base:.1f}x",
             "yes" if p95(s) <= TARGET_MS else "**no**") for path, s in results]
    print(table(("request", "median", "p95", "median vs plain page", f"p95 <= {TARGET_MS} ms"),
                rows))


def load_note():
    """The machine's load average (1, 5 min) when a table is printed: it is shared."""
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} on {os.cpu_count()} cores"


if __name__ == "__main__":
    sys.exit(main())
