"""Sync batch: how long a handheld's queue of 10,000 offline scans takes to reach the server.

    .venv/bin/python benchmarks/sync_batch.py            # 10,000 scans, SQLite then PostgreSQL
    .venv/bin/python benchmarks/sync_batch.py --quick    # 1,000 scans
    .venv/bin/python benchmarks/sync_batch.py --db postgres

One device (one picker, in-progress lists of 60 tasks of quantity 1) has queued N pick
scans offline: location, item, location, item... Each way of sending them runs on its
own picker and device in the same database, against the real app under gunicorn
(4 workers x 4 threads) with a real RQ worker (`python -m worker reconciliation`):

- baseline: one request per scan, sent one after the other on a keep-alive connection.
  Measured on a sample (1,000 scans; 200 with --quick) and extrapolated linearly to N:
  the table says so.
- batches of 200 (services.INLINE_LIMIT): applied inline, each request answered with
  the result of every scan.
- requests of 5,000 (services.MAX_BATCH; N / 5,000 of them): stored and acknowledged,
  then applied by the reconciliation job on the RQ worker; the time counts until no
  scan of the device is left 'stored'.

Targets: N = 10,000 synced in <= 3 s, and >= 10x faster than one request per scan.
Afterwards: a replay of already-sent scans must answer 'duplicate'; one scan_record per
scan, every one applied, one ledger line per task, stock levels == ledger.

Exit status 0 when the run completed and the database checks hold (whatever the speed).
"""
from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (ApiScanner, Connection, Environment, HealthClient, Server,  # noqa: E402
                      Worker, databases, parse_args, run_load, seed, table)

PLANS = {"full": dict(total=10_000, batch=200, big=2_000, sample=1_000),
         "quick": dict(total=1_000, batch=200, big=500, sample=100)}
TARGET_SECONDS, TARGET_SPEEDUP = 3.0, 10.0
WARM_SCANS = 20


async def _post(conn, scanner, scans, pending):
    """POST one batch; return (seconds, status, results)."""
    started = time.perf_counter()
    status, _h, body = await conn.request("POST", "/api/v1/scans", scanner.headers(),
                                          scanner.body(scans, pending))
    elapsed = time.perf_counter() - started
    results = json.loads(body).get("results", []) if status == 200 else []
    if status != 200:
        print(f"  HTTP {status}: {body[:300]!r}", file=sys.stderr)
    return elapsed, status, results


def send(port, scanner, queue, size):
    """Send the queued scans in requests of size, one after the other, as a device does.

    Returns (wall seconds, [(seconds, status, results) per request]).
    """
    async def main():
        conn = Connection(port)
        answers = []
        started = time.perf_counter()
        try:
            for start in range(0, len(queue), size):
                chunk = queue[start:start + size]
                answers.append(await _post(conn, scanner, chunk, len(queue) - start))
        finally:
            conn.close()
        return time.perf_counter() - started, answers
    return asyncio.run(main())


def offline_queue(scanner, count):
    """count scans taken offline over the last hours, in device order."""
    scanner.offset = timedelta(hours=2)
    return [scanner.next_scan()[1] for _ in range(count)]


class StoredCounter:
    """Counts a device's scans still 'stored', on a plain connection of our own.

    Not the app's engine: on SQLite that would BEGIN IMMEDIATE and take the write
    lock away from the worker it is watching.
    """

    def __init__(self, url):
        if url.startswith("sqlite"):
            self.conn = sqlite3.connect(url.split("sqlite:///", 1)[1], isolation_level=None)
            self.mark = "?"
        else:
            import psycopg
            self.conn = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
            self.mark = "%s"

    def stored(self, device_id):
        """Scans of the device not applied yet."""
        return self.conn.execute(f"SELECT count(*) FROM scan_record WHERE device_id = "
                                 f"{self.mark} AND status = 'stored'", (device_id,)).fetchone()[0]

    def close(self):
        """Close the connection."""
        self.conn.close()


def wait_applied(counter, device_id, timeout):
    """Poll until no scan of the device is 'stored'; return when that was (perf_counter)."""
    deadline = time.monotonic() + timeout
    while counter.stored(device_id):
        if time.monotonic() > deadline:
            raise RuntimeError(f"scans still stored after {timeout} s")
        time.sleep(0.05)
    return time.perf_counter()


def statuses(answers):
    """Count the per-scan statuses of a list of answers."""
    counts = {}
    for _s, _status, results in answers:
        for result in results:
            counts[result["status"]] = counts.get(result["status"], 0) + 1
    return counts


def run_database(label, make_db, plan, args):
    """Seed, serve, sync three ways, replay and check one database."""
    total, sample = plan["total"], plan["sample"]
    with make_db() as url, tempfile.TemporaryDirectory(prefix="bench-sync-") as folder:
        env = Environment(url, folder)
        app = env.app()
        from webapp.extensions import db
        with app.app_context():
            pickers = seed([WARM_SCANS // 2, sample // 2, total // 2, total // 2])
        warm, single, batched, deferred = (ApiScanner(p) for p in pickers)
        log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
        counter = StoredCounter(url)
        try:
            with Server(env, args.workers, args.threads) as server, \
                    Worker(env, "reconciliation") as worker:
                cpu = lambda: server.cpu_seconds() + worker.cpu_seconds()  # noqa: E731
                run_load(server.port, [HealthClient() for _ in range(4)], 10)
                run_load(server.port, [warm], WARM_SCANS)
                log(f"{label}: one request per scan, {sample:,} scans")
                used = cpu()
                single_wall, single_answers = send(server.port, single,
                                                   offline_queue(single, sample), 1)
                single_cpu, used = cpu() - used, cpu()
                log(f"{label}: batches of {plan['batch']}, {total:,} scans")
                queue = offline_queue(batched, total)
                batched_wall, batched_answers = send(server.port, batched, queue, plan["batch"])
                batched_cpu, used = cpu() - used, cpu()
                log(f"{label}: requests of {plan['big']:,}, applied by the worker")
                big_queue = offline_queue(deferred, total)
                started = time.perf_counter()
                _ack, deferred_answers = send(server.port, deferred, big_queue, plan["big"])
                acked = time.perf_counter()
                applied_at = wait_applied(counter, deferred.picker.device_id, timeout=3600)
                deferred_cpu = cpu() - used
                log(f"{label}: replays")
                replay_wall, replay_answers = send(server.port, batched, queue[:plan["batch"]],
                                                   plan["batch"])
                replay_big_wall, replay_big_answers = send(server.port, deferred, big_queue,
                                                           plan["big"])
                time.sleep(1)  # a replayed batch enqueues nothing; give a stray job a moment
                locked = server.count_in_log("database is locked")
                errors = server.count_in_log("unhandled error")
        finally:
            counter.close()
            env.drop_queues()
        with app.app_context():
            checks = verify(pickers, {single.picker.device_id: sample,
                                      batched.picker.device_id: total,
                                      deferred.picker.device_id: total})
            db.session.remove()
            db.engine.dispose()
    figures = {
        "single": (single_wall, single_answers), "batched": (batched_wall, batched_answers),
        "deferred": (acked - started, applied_at - started, deferred_answers),
        "cpu_ms": (1000 * single_cpu / sample, 1000 * batched_cpu / total,
                   1000 * deferred_cpu / total),
        "replay": (replay_wall, replay_answers, replay_big_wall, replay_big_answers),
        "locked": locked, "errors": errors}
    return figures, checks


def verify(pickers, expected_rows):
    """Exactly once per device, one ledger line per finished task, stock == ledger."""
    from sqlalchemy import func, select

    from webapp.catalog.models import StockMovement
    from webapp.catalog.stock import ledger_mismatches
    from webapp.extensions import db
    from webapp.picking.models import PickList, PickTask
    from webapp.sync.models import ScanRecord
    checks = []
    for picker in pickers:
        if picker.device_id not in expected_rows:
            continue
        expected = expected_rows[picker.device_id]
        rows = dict(db.session.execute(
            select(ScanRecord.status, func.count()).where(
                ScanRecord.device_id == picker.device_id).group_by(ScanRecord.status)).all())
        done = db.session.scalar(select(func.count()).select_from(PickTask).join(PickList).where(
            PickList.picker_id == picker.user_id, PickTask.status == "done"))
        checks.append((f"{picker.username}: scan_record rows, all applied", expected,
                       ", ".join(f"{n} {s}" for s, n in rows.items()),
                       rows == {"applied": expected}))
        checks.append((f"{picker.username}: tasks done", expected // 2, done,
                       done == expected // 2))
    moves = db.session.scalar(select(func.count()).where(StockMovement.reason == "pick"))
    sources = db.session.scalar(select(func.count(func.distinct(StockMovement.source)))
                                .where(StockMovement.reason == "pick"))
    done = db.session.scalar(select(func.count()).where(PickTask.status == "done"))
    mismatches = ledger_mismatches()
    checks += [("pick ledger lines == tasks done, one per task", done,
                f"{moves} ({sources} tasks)", moves == sources == done),
               ("ledger_mismatches()", "[]", len(mismatches) or "[]", not mismatches)]
    return checks


def report(label, figures, checks, plan):
    """Print the tables of one database; return the figures of the summary."""
    total, sample = plan["total"], plan["sample"]
    single_wall, single_answers = figures["single"]
    per_scan_total = single_wall * total / sample
    batched_wall, batched_answers = figures["batched"]
    ack, applied, deferred_answers = figures["deferred"]
    cpu_single, cpu_batched, cpu_deferred = (f"{v:.1f} ms" for v in figures["cpu_ms"])
    rows = [
        (f"one request per scan (measured on {sample:,}, × {total // sample} extrapolated)",
         f"{total:,}", f"{per_scan_total:.1f} s", f"{per_scan_total:.1f} s",
         f"{total / per_scan_total:.0f}", "1.0×", cpu_single, _counts(single_answers)),
        (f"batches of {plan['batch']}, applied inline", f"{-(-total // plan['batch']):,}",
         f"{batched_wall:.1f} s", f"{batched_wall:.1f} s", f"{total / batched_wall:.0f}",
         f"{per_scan_total / batched_wall:.1f}×", cpu_batched, _counts(batched_answers)),
        (f"requests of {plan['big']:,}, applied by the RQ worker",
         f"{-(-total // plan['big']):,}", f"{ack:.1f} s", f"{applied:.1f} s",
         f"{total / applied:.0f}", f"{per_scan_total / applied:.1f}×", cpu_deferred,
         _counts(deferred_answers) + " (then applied)"),
    ]
    print(f"\n### {label}: {total:,} queued scans from one device\n")
    print(table(["how the scans are sent", "requests", "all acknowledged", "all applied",
                 "scans/s", "speed-up", "app CPU per scan", "answers"], rows))
    print("\n(app CPU: gunicorn workers + RQ worker and its work horses, user + system; "
          "PostgreSQL's own CPU not included)")
    best = min(batched_wall, applied)
    print(f"\nHeadline ({label}): batches of {plan['batch']} sync {total:,} scans "
          f"{per_scan_total / batched_wall:.1f}× faster than one request per scan "
          f"(target ≥ {TARGET_SPEEDUP:.0f}×), in {batched_wall:.1f} s (target ≤ "
          f"{TARGET_SECONDS * total / 10_000:.1f} s for {total:,}); the worker path "
          f"acknowledges in {ack:.1f} s and applies everything in {applied:.1f} s. By app "
          f"CPU per scan (steadier on a busy machine) batching saves "
          f"{figures['cpu_ms'][0] / figures['cpu_ms'][1]:.1f}×.")
    r_wall, r_answers, rb_wall, rb_answers = figures["replay"]
    print(f"\nReplays: the first batch of {plan['batch']} again → {_counts(r_answers)} in "
          f"{r_wall:.2f} s; all {total:,} deferred scans again → {_counts(rb_answers)} in "
          f"{rb_wall:.2f} s. 'database is locked' in the server log: {figures['locked']}; "
          f"unhandled errors: {figures['errors']}.")
    print("\nCorrectness after the sync:\n")
    print(table(["check", "expected", "found", "ok"],
                [(n, e, f, "yes" if ok else "**NO**") for n, e, f, ok in checks]))
    duplicates_ok = set(statuses(r_answers)) == {"duplicate"} == set(statuses(rb_answers))
    return {"batched": batched_wall, "acked": ack, "applied": applied, "per_scan": per_scan_total,
            "best": best}, duplicates_ok


def _counts(answers):
    """'10000 applied' style summary of the answers."""
    return ", ".join(f"{n:,} {s}" for s, n in sorted(statuses(answers).items()))


def main(argv=None):
    """Run the benchmark on each database and print the tables."""
    args = parse_args(__doc__, argv, "1,000 scans instead of 10,000")
    plan = PLANS["quick" if args.quick else "full"]
    load = os.getloadavg()[0]
    print(f"## Sync batch ({'quick' if args.quick else 'full'} run: {plan['total']:,} scans; "
          f"gunicorn {args.workers} workers × {args.threads} threads + 1 RQ worker; "
          f"load average {load:.1f} on 2 cores at the start)")
    summary, healthy = {}, True
    for label, make_db in databases(args.db or ["sqlite", "postgres"]):
        figures, checks = run_database(label, make_db, plan, args)
        summary[label], duplicates_ok = report(label, figures, checks, plan)
        healthy &= duplicates_ok and all(ok for *_rest, ok in checks)
    target = TARGET_SECONDS * plan["total"] / 10_000
    print(f"\n### Against the targets ({plan['total']:,} scans)\n")
    print(table(["figure", "target"] + list(summary), [
        ["batches of 200: time", f"≤ {target:.1f} s"]
        + [f"{f['batched']:.1f} s" for f in summary.values()],
        [f"requests of {plan['big']:,}: time until acknowledged (outbox empty)",
         f"≤ {target:.1f} s"] + [f"{f['acked']:.1f} s" for f in summary.values()],
        [f"requests of {plan['big']:,}: time until applied", f"≤ {target:.1f} s"]
        + [f"{f['applied']:.1f} s" for f in summary.values()],
        ["best way vs one request per scan, until applied", f"≥ {TARGET_SPEEDUP:.0f}× faster"]
        + [f"{f['per_scan'] / f['best']:.1f}×" for f in summary.values()],
        [f"requests of {plan['big']:,} vs one request per scan, until acknowledged",
         f"≥ {TARGET_SPEEDUP:.0f}× faster"]
        + [f"{f['per_scan'] / f['acked']:.1f}×" for f in summary.values()],
    ]))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
