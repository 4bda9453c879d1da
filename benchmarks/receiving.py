"""Receiving: a 2,000-line receipt scanned over the sync API, and put-away planning for
20,000 units, each against a baseline measured in the same run.

    .venv/bin/python benchmarks/receiving.py            # SQLite, then PostgreSQL
    .venv/bin/python benchmarks/receiving.py --quick    # fewer scans, SQLite only

A warehouse of 10,000 bins (as wave_planning.py's) gets 2,000 products and one receipt of
2,000 lines x 10 units. The real app runs under gunicorn (scan_throughput.py's
harness); a handheld sends one `receive` scan per POST /api/v1/scans (device token),
line after line, each scan one unit through 检验 (pass) into the ledger. Baseline:
GET /healthz with the same clients. Then the receipt is received in full in process,
closed, and put-away planning (bins with room, nearest empty bins of the zone, walks
routed as the waves route) is timed against a naive plan (the next empty bins in code
order, walks in code order) on the same units; walking distance of both is printed.
Checks afterwards: one applied scan_record per scan, stock levels equal the ledger.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (HealthClient, Server, _cheap_password_hashing, databases,  # noqa: E402
                      ms, parse_args, ratio, run_load, summarize, table)

LINES, UNITS = 2000, 10
PLANS = {"full": dict(one=400, twenty=40), "quick": dict(one=100, twenty=10)}
SIG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40"><path d="M 1,1 L 90,30" '
       'stroke="#000" fill="none" stroke-width="2"></path></svg>')


def seed():
    """Warehouse, products, a receiver with a handheld, one expected receipt; its facts."""
    import random

    from webapp import demo
    from webapp.accounts.services import create_user, record_sign_in, register_device
    from webapp.catalog.models import Warehouse
    from webapp.extensions import db
    from webapp.receiving.intake import intake
    warehouse = Warehouse(code="MAIN", name="Bench")
    db.session.add(warehouse)
    db.session.flush()
    _locations(db, warehouse)
    products = demo._products(random.Random(5), LINES)
    with _cheap_password_hashing():
        user = create_user("bench-receiver", "bench-password", ["receiver"])
    devices = []
    for n in range(20):  # one handheld per client, as at a dock: not 20 clients on one device row
        device, token = register_device(f"bench-receiving-{n}", roles=["receiver"])
        record_sign_in(device.id, user.id)  # a device sends only the scans of people signed in on it
        devices.append((device.id, token))
    result = intake({"source": "purchase", "reference": "BENCH-1", "dock": "RCV-01",
                     "lines": [{"sku": p.sku, "quantity": UNITS} for p in products]})
    db.session.commit()
    codes = [p.barcodes[0].code for p in products]
    return {"user_id": user.id, "device_id": devices[0][0], "token": devices[0][1],
            "devices": devices, "receipt_id": result.receipt_id, "codes": codes}


def _locations(db, warehouse):
    """10,000 bins (5 zones x 20 aisles x 25 bays x 4 levels, as wave_planning.py) and
    the receiving dock: a product with no stock yet gets bins of its own."""
    from webapp.catalog.models import Location
    rows = [Location(warehouse_id=warehouse.id, type="storage", zone=zone, aisle=aisle,
                     bay=bay, level=level, code=f"{zone}-{aisle:02d}-{bay:02d}-{level}")
            for zone in "ABCDE" for aisle in range(1, 21) for bay in range(1, 26)
            for level in range(1, 5)]
    rows.append(Location(warehouse_id=warehouse.id, type="receiving", zone="RCV",
                         code="RCV-01"))
    rows.append(Location(warehouse_id=warehouse.id, type="defective", zone="DEF",
                         code="DEF-01"))
    db.session.add_all(rows)
    db.session.flush()


class ReceiveScanner:
    """A handheld sending one receive scan per request, one unit of each line in turn."""

    kind = "receive"

    def __init__(self, facts, start, device=0):
        self.facts, self.position, self.seq = facts, start, 0
        self.device_id, self.token = facts["devices"][device]

    async def prepare(self, conn):
        """Nothing to set up: the token is the credential."""

    async def send(self, conn):
        """One scan; ok when applied."""
        code = self.facts["codes"][self.position % LINES]
        self.position += 1
        self.seq += 1
        scan = {"id": str(uuid.uuid4()), "seq": self.seq, "user_id": self.facts["user_id"],
                "device_time": datetime.now(timezone.utc).isoformat(), "action": "receive",
                "code": code, "quantity": 1, "subject_id": self.facts["receipt_id"]}
        body = json.dumps({"device_id": self.device_id, "scans": [scan]}).encode()
        status, _h, answer = await conn.request("POST", "/api/v1/scans", {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json"}, body)
        if status != 200:
            return self.kind, status, False, answer[:300].decode(errors="replace")
        result = json.loads(answer)["results"][0]
        return self.kind, status, result["status"] == "applied", result["reason"]


def scan_load(port, facts, clients, count):
    """Receive scans and the health baseline with the same clients; their summaries."""
    scanners = [ReceiveScanner(facts, n * (LINES // clients), n) for n in range(clients)]
    samples, wall, _r = run_load(port, scanners, count)
    scans = summarize(samples, wall)
    samples, wall, _r = run_load(port, [HealthClient() for _ in range(clients)], count)
    return scans, summarize(samples, wall)


def naive_plan(items, capacity):
    """The baseline: every unit into the first bins with room in code order, walked in
    code order (what a receiver does with no suggestions)."""
    from sqlalchemy import select

    from webapp.catalog.models import Location
    from webapp.extensions import db
    bins = db.session.scalars(select(Location).where(Location.type == "storage")
                              .order_by(Location.code)).all()
    stops, index, room = [], 0, capacity
    for item in items:
        left = item.quantity
        if room < capacity:  # a product starts a bin of its own, as ours does
            index, room = index + 1, capacity
        while left:
            units = min(left, room)
            stops.append({"location": bins[index], "quantity": units})
            left, room = left - units, room - units
            if not room:
                index, room = index + 1, capacity
    return stops


def plan_putaway(app, facts):
    """Receive everything, close, then time our planning and the naive one."""
    from webapp.catalog.stock import ledger_mismatches
    from webapp.extensions import db
    from webapp.picking import routing
    from webapp.receiving import putaway, services
    from webapp.receiving.models import Receipt
    with app.app_context():
        receipt = db.session.get(Receipt, facts["receipt_id"])
        for line in receipt.lines:
            left = line.expected_qty - line.received_qty
            if left > 0:
                services.scan(receipt.id, facts["user_id"], line.sku, left)
        db.session.commit()
        run = services.close(receipt.id, facts["user_id"], "Bench", "Bench Co.",
                             receiver_svg=SIG, deliverer_svg=SIG)
        db.session.commit()
        items = services._receipt_items(receipt.id)
        units = sum(item.quantity for item in items)
        started = time.process_time()
        putaway.plan(run)
        ours = time.process_time() - started
        db.session.commit()
        layout = putaway._Bins(200).layout
        walked = sum(routing.route_length(layout, [{"location": t.suggested} for t in walk])
                     for walk in _walks(run.tasks))
        started = time.process_time()
        stops = naive_plan(items, app.config["PUTAWAY_BIN_CAPACITY"])
        naive = time.process_time() - started
        naive_walked = sum(routing.route_length(layout, stops[i:i + putaway.WALK_SIZE])
                           for i in range(0, len(stops), putaway.WALK_SIZE))
        assert ledger_mismatches() == [], "stock levels disagree with the ledger"
        return {"units": units, "tasks": len(run.tasks), "ours_s": ours, "naive_s": naive,
                "walked_m": walked, "naive_m": naive_walked, "naive_tasks": len(stops)}


def _walks(tasks):
    """Tasks grouped by walk, in order."""
    walks = {}
    for task in tasks:
        walks.setdefault(task.walk, []).append(task)
    return [sorted(w, key=lambda t: t.sequence) for w in walks.values()]


def applied_once(app, receipt_id):
    """(scan records, applied, lines' received units) for the receipt."""
    from sqlalchemy import func, select

    from webapp.extensions import db
    from webapp.receiving.models import ReceiptLine
    from webapp.sync.models import ScanRecord
    with app.app_context():
        records = db.session.scalar(select(func.count(ScanRecord.id)).where(
            ScanRecord.subject_id == receipt_id))
        applied = db.session.scalar(select(func.count(ScanRecord.id)).where(
            ScanRecord.subject_id == receipt_id, ScanRecord.status == "applied"))
        units = db.session.scalar(select(func.sum(ReceiptLine.received_qty)).where(
            ReceiptLine.receipt_id == receipt_id))
        return records, applied, units


def run_one(label, db_url, plan, options):
    """The whole benchmark on one database; rows for the tables."""
    from _harness import Environment
    with tempfile.TemporaryDirectory(prefix="bench-receiving-") as folder:
        env = Environment(db_url, folder)
        app = env.app()
        with app.app_context():
            facts = seed()
        try:
            with Server(env, options.workers, options.threads) as server:
                one, one_base = scan_load(server.port, facts, 1, plan["one"])
                twenty, twenty_base = scan_load(server.port, facts, 20, plan["twenty"])
        finally:
            env.drop_queues()
        records, applied, units = applied_once(app, facts["receipt_id"])
        sent = plan["one"] + 20 * plan["twenty"]
        assert records == applied == units == sent, (records, applied, units, sent)
        planned = plan_putaway(app, facts)
    return label, one, one_base, twenty, twenty_base, planned


def main(argv=None):
    """Run and print the tables."""
    options = parse_args(__doc__, argv, "fewer scans, SQLite only")
    plan = PLANS["quick" if options.quick else "full"]
    names = options.db or (["sqlite"] if options.quick else ["sqlite", "postgres"])
    results = []
    for label, factory in databases(names):
        with factory() as db_url:
            results.append(run_one(label, db_url, plan, options))
    print(table(["receive scans (one unit each, POST /api/v1/scans)", "median", "scans/s",
                 "healthz median", "healthz/s", "scan ÷ healthz (median)"],
                [[f"{label}, {n} client{'s' if n > 1 else ''}", ms(s.median_ms), f"{s.per_s:.0f}",
                  ms(b.median_ms), f"{b.per_s:.0f}", ratio(s.median_ms / b.median_ms)]
                 for label, one, one_base, twenty, twenty_base, _p in results
                 for n, s, b in ((1, one, one_base), (20, twenty, twenty_base))]))
    print()
    print(table(["put-away planning", "units", "tasks", "CPU s", "walking km",
                 "naive CPU s", "naive km", "walking vs naive"],
                [[label, p["units"], p["tasks"], f"{p['ours_s']:.2f}",
                  f"{p['walked_m'] / 1000:.2f}", f"{p['naive_s']:.2f}",
                  f"{p['naive_m'] / 1000:.2f}", f"{100 * (p['walked_m'] / p['naive_m'] - 1):+.1f} %"]
                 for label, *_rest, p in results]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
