"""Where applying a stored batch of synced scans spends its time (the reconciliation job).

    .venv/bin/python benchmarks/profile_apply.py                  # SQLite, 2,000 scans
    .venv/bin/python benchmarks/profile_apply.py --db postgres --scans 2000 --top 30

Seeds a migrated database like sync_batch.py, stores N offline pick scans for each of
three devices with one large POST /api/v1/scans each (stored, not applied), then runs
sync.applying.apply_stored() in this process on each batch: the baseline applying
every scan one by one through the ORM rules (bulk=False, as the job did before), then
set-based as it is now (picking/scan_batch.py; time per scan, SQL statements and
transactions per scan), then under cProfile.
Checks afterwards that every scan was applied and the ledger holds. No server and no
worker: the figures are the job's own cost.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ApiScanner, Environment, databases, seed, table  # noqa: E402
from profile_scan import SqlCounter, app_breakdown, hot_spots  # noqa: E402


def store(client, picker, count):
    """Store count scans of the picker's walk as one deferred batch; return its id."""
    scanner = ApiScanner(picker)
    scans = [scanner.next_scan()[1] for _ in range(count)]
    response = client.post("/api/v1/scans", data=scanner.body(scans, 0),
                           headers=scanner.headers())
    body = response.json
    assert response.status_code == 200 and body["batch_id"], body
    assert {r["status"] for r in body["results"]} == {"stored"}, body["results"][:3]
    return body["batch_id"]


def main(argv=None):
    """Profile applying stored scans on one database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--scans", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    (label, make_db), = databases([args.db])
    with make_db() as url, tempfile.TemporaryDirectory(prefix="bench-apply-") as folder:
        env = Environment(url, folder)
        app = env.app()
        from webapp.catalog.stock import ledger_mismatches
        from webapp.extensions import db
        from webapp.sync import applying
        try:
            with app.app_context():
                pickers = seed([args.scans // 2] * 3)
                counter = SqlCounter(db.engine)
            client = app.test_client()
            batches = [store(client, p, args.scans) for p in pickers]
            runs = []
            for bulk, batch in ((False, batches[0]), (True, batches[1])):
                with app.app_context():
                    counter.reset()
                    started = time.perf_counter()
                    counts = applying.apply_stored(batch_id=batch, bulk=bulk)
                    runs.append((bulk, time.perf_counter() - started, counts,
                                 counter.statements.copy(), counter.transactions))
                    db.session.remove()
            with app.app_context():
                profiler = cProfile.Profile()
                profiler.enable()
                counts_profiled = applying.apply_stored(batch_id=batches[2])
                profiler.disable()
                mismatches = ledger_mismatches()
                db.session.remove()
        finally:
            env.drop_queues()
    n = args.scans
    print(f"\n#### Applying {n:,} stored scans on {label} (in process, no profiler)\n")
    rows = [("set-based (picking/scan_batch.py)" if bulk else
             "one by one through the ORM rules (baseline)", f"{elapsed:.2f} s",
             f"{1000 * elapsed / n:.2f} ms", f"{transactions:,}",
             ", ".join(f"{v / n:.1f} {k}" for k, v in statements.most_common()), str(counts))
            for bulk, elapsed, counts, statements, transactions in runs]
    print(table(("way", "time", "per scan", "transactions", "statements per scan", "outcome"),
                rows))
    print(f"\nSpeed-up over the baseline: {runs[0][1] / runs[1][1]:.2f}x. "
          f"Under the profiler: {counts_profiled}; ledger_mismatches(): {mismatches}.")
    stats = pstats.Stats(profiler, stream=io.StringIO())
    print(f"\n#### The job's own functions (cumulative, per scan)\n")
    print(table(("function", "calls per scan", "share"), app_breakdown(stats, n, args.top)))
    print(f"\n#### Hot spots (own time)\n\n```\n{hot_spots(stats, args.top)}\n```")
    ok = all(run[2] == {"applied": n} for run in runs) and counts_profiled == {"applied": n}
    ok = ok and mismatches == []
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
