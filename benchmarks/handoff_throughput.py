"""Handoff and tracking: scans per second handing over a 1,000-parcel manifest, and
tracking events ingested per second.

    .venv/bin/python benchmarks/handoff_throughput.py            # 1,000 parcels, 100,000 events
    .venv/bin/python benchmarks/handoff_throughput.py --quick    # 200 parcels, 10,000 events
    .venv/bin/python benchmarks/handoff_throughput.py --db sqlite

Scans: the real app under gunicorn (4 x 4); a courier's registered phone sends the
'handoff' scans of a manifest of N packed parcels through POST /api/v1/scans, one
request per scan on a keep-alive connection (the phone online), then on a second
manifest in batches of 200 (the phone back from a dead zone). Baseline in the same
run: GET /healthz (SELECT 1 and a Redis PING) one after the other on the same kind
of connection. Afterwards every parcel must be 'scanned' exactly once.

Events: tracking.ingest() in process, in deliveries of 1,000 (the webhook's limit),
E events over E/10 parcels in transit, in random order. Baseline in the same run:
the same rows written by one plain multi-row INSERT per delivery into a scratch table
of the same shape (the floor: no lookups, no state). Afterwards: E events stored,
a replayed delivery stores none, each parcel's state is its latest event.
"""
from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (Connection, Environment, Server, databases, parse_args,  # noqa: E402
                      table)

PLANS = {"full": dict(parcels=1_000, events=100_000, health=500),
         "quick": dict(parcels=200, events=10_000, health=200)}
CODES = ("picked_up", "in_transit", "in_transit", "out_for_delivery", "delivered")


def seed_manifest(db, count, start):
    """A manifest of `count` packed, booked parcels; (manifest id, tracking numbers)."""
    from webapp.handoff.models import Manifest, ManifestParcel
    from webapp.orders.models import Order
    from webapp.packing.carriers import s10_number
    from webapp.packing.models import Parcel, Shipment
    manifest = Manifest(carrier="builtin", status="open", pickup_date=datetime.now().date())
    db.session.add(manifest)
    numbers = []
    for i in range(start, start + count):
        order = Order(channel="bench", channel_order_no=str(i), status="packed")
        parcel = Parcel(weight_g=500, length_mm=200, width_mm=150, height_mm=100,
                        tracking_number=s10_number(i))
        db.session.add_all([order, Shipment(order=order, carrier="builtin", status="booked",
                                            parcels=[parcel])])
        db.session.flush()
        db.session.add(ManifestParcel(manifest_id=manifest.id, parcel_id=parcel.id))
        numbers.append(parcel.tracking_number)
    db.session.commit()
    return manifest.id, numbers


def courier_phone(db):
    """A courier and a registered phone: (user id, device id, token)."""
    from webapp.accounts.services import create_user, register_device
    user = create_user(f"courier-{uuid.uuid4().hex[:6]}", "bench-password-1", ["courier"])
    device, token = register_device("bench-phone")
    db.session.commit()
    return user.id, device.id, token


def scan_body(device_id, user_id, manifest_id, numbers, seq):
    """A sync request of handoff scans."""
    now = datetime.now(timezone.utc).isoformat()
    scans = [{"id": str(uuid.uuid4()), "seq": seq + i, "device_time": now, "user_id": user_id,
              "action": "handoff", "code": n, "quantity": 1, "subject_id": manifest_id}
             for i, n in enumerate(numbers)]
    return json.dumps({"device_id": device_id, "scans": scans}).encode()


async def run_http(port, phone, manifests, health_count):
    """(healthz req/s, one-per-request scans/s, batched scans/s)."""
    user_id, device_id, token = phone
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn = Connection(port)
    for _ in range(20):  # warm up
        await conn.request("GET", "/healthz")
    started = time.perf_counter()
    for _ in range(health_count):
        assert (await conn.request("GET", "/healthz"))[0] == 200
    health = health_count / (time.perf_counter() - started)
    rates, seq = [], 1
    for (manifest_id, numbers), size in zip(manifests, (1, 200)):
        started = time.perf_counter()
        for at in range(0, len(numbers), size):
            chunk = numbers[at:at + size]
            status, _h, body = await conn.request("POST", "/api/v1/scans", headers,
                                                  scan_body(device_id, user_id, manifest_id,
                                                            chunk, seq))
            seq += len(chunk)
            results = json.loads(body)["results"]
            assert status == 200 and all(r["status"] == "applied" for r in results), body[:300]
        rates.append(len(numbers) / (time.perf_counter() - started))
    conn.close()
    return health, *rates


def check_scanned(db, manifests):
    """Every parcel scanned exactly once on its manifest."""
    from sqlalchemy import func, select

    from webapp.handoff.models import ManifestParcel
    for manifest_id, numbers in manifests:
        scanned = db.session.scalar(select(func.count()).select_from(ManifestParcel).where(
            ManifestParcel.manifest_id == manifest_id, ManifestParcel.status == "scanned"))
        assert scanned == len(numbers), (scanned, len(numbers))


def seed_in_transit(db, parcels):
    """`parcels` handed-over parcels; their tracking numbers."""
    from webapp.handoff.models import ParcelTracking
    manifest_id, numbers = seed_manifest(db, parcels, 500_000)
    from sqlalchemy import select

    from webapp.packing.models import Parcel
    ids = dict(db.session.execute(select(Parcel.tracking_number, Parcel.id)
                                  .where(Parcel.tracking_number.in_(numbers))).all())
    when = datetime.now(timezone.utc) - timedelta(days=2)
    db.session.add_all(ParcelTracking(parcel_id=ids[n], carrier="builtin", tracking_number=n,
                                      handed_over_at=when) for n in numbers)
    db.session.commit()
    return numbers


def deliveries(numbers, total, rng):
    """Events in deliveries of 1,000, shuffled: the webhook's worst case."""
    base = datetime.now(timezone.utc) - timedelta(days=2)
    events = [{"tracking_number": n, "code": CODES[k % len(CODES)], "event_id": f"{n}-{k}",
               "location": "杭州", "event_at": base + timedelta(hours=k)}
              for n in numbers for k in range(total // len(numbers))]
    rng.shuffle(events)
    return [events[i:i + 1000] for i in range(0, len(events), 1000)]


def run_events(db, total):
    """(baseline rows/s, ingested events/s); checks the stored result."""
    from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select

    from webapp.handoff import tracking
    from webapp.handoff.models import ParcelTracking, TrackingEvent
    numbers = seed_in_transit(db, max(1, total // 10))
    batches = deliveries(numbers, total, random.Random(5))
    scratch = Table(f"bench_events_{uuid.uuid4().hex[:6]}", MetaData(),
                    Column("id", Integer, primary_key=True), Column("parcel_id", Integer),
                    Column("carrier", String(16)), Column("event_key", String(80)),
                    Column("code", String(24)), Column("event_at", DateTime(timezone=True)),
                    Column("location", String(120)), Column("source", String(8)))
    scratch.create(db.engine)
    try:
        started = time.perf_counter()
        for batch in batches:
            db.session.execute(scratch.insert(), [{**{k: e[k] for k in (
                "event_at", "location", "code")}, "event_key": e["event_id"], "parcel_id": 1,
                "carrier": "builtin", "source": "webhook"} for e in batch])
            db.session.commit()
        baseline = total / (time.perf_counter() - started)
    finally:
        scratch.drop(db.engine)
    started = time.perf_counter()
    for batch in batches:
        tracking.ingest("builtin", [{**e, "event_key": e["event_id"]} for e in batch], "webhook")
        db.session.commit()
    rate = total / (time.perf_counter() - started)
    assert db.session.scalar(select(func.count()).select_from(TrackingEvent)) == total
    again = tracking.ingest("builtin", [{**e, "event_key": e["event_id"]} for e in batches[0]],
                            "webhook")
    assert again[0] == 0
    db.session.rollback()
    states = set(db.session.scalars(select(ParcelTracking.status)))
    assert states == {CODES[(total // len(numbers) - 1) % len(CODES)]}, states
    return baseline, rate


def main(argv=None):
    """Run both measures on each database and print the tables."""
    args = parse_args(__doc__, argv, "200 parcels, 10,000 events")
    plan = PLANS["quick" if args.quick else "full"]
    rows_http, rows_events = [], []
    for label, make_db in databases(args.db or ["sqlite", "postgres"]):
        with make_db() as url, tempfile.TemporaryDirectory(prefix="bench-handoff-") as folder:
            env = Environment(url, folder)
            app = env.app()
            from webapp.extensions import db
            with app.app_context():
                manifests = [seed_manifest(db, plan["parcels"], 1 + k * plan["parcels"])
                             for k in range(2)]
                phone = courier_phone(db)
            with Server(env, args.workers, args.threads) as server:
                health, single, batched = asyncio.run(
                    run_http(server.port, phone, manifests, plan["health"]))
            with app.app_context():
                check_scanned(db, manifests)
                baseline, rate = run_events(db, plan["events"])
                db.session.remove()
                db.engine.dispose()
            env.drop_queues()
            rows_http.append([label, f"{health:.0f}", f"{single:.0f} ({single / health:.2f}x)",
                              f"{batched:.0f} ({batched / health:.2f}x)"])
            rows_events.append([label, f"{baseline:,.0f}", f"{rate:,.0f} ({rate / baseline:.2f}x)",
                                f"{plan['events'] / rate:.1f} s"])
    print(f"\nHanding over a {plan['parcels']:,}-parcel manifest (scans/s; x = of healthz req/s)")
    print(table(["database", "healthz req/s", "one scan per request", "batches of 200"], rows_http))
    print(f"\nIngesting {plan['events']:,} tracking events in deliveries of 1,000 (x = of plain INSERT)")
    print(table(["database", "plain INSERT rows/s", "ingest events/s", "all events"], rows_events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
