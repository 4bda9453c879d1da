"""Where a writing scan spends its time: cProfile, SQL statements and transactions per request.

    .venv/bin/python benchmarks/profile_scan.py                 # SQLite, 400 scans
    .venv/bin/python benchmarks/profile_scan.py --db postgres --scans 400 --top 30
    .venv/bin/python benchmarks/profile_scan.py --action receive   # receiving.py's receipt

Seeds a migrated database like scan_throughput.py, then sends one-scan POST
/api/v1/scans requests (location, item, ...) through the Flask test client in this
process, under cProfile. Prints, per request: SQL statements by kind, transactions
(and on SQLite how long each held the write lock, which BEGIN IMMEDIATE takes at
its start), and the functions where the time goes. GET /healthz is profiled the
same way for comparison. No server, so the figures are the app's own cost.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ApiScanner, Environment, databases, seed, table  # noqa: E402


class SqlCounter:
    """Counts statements by verb and times each transaction (begin to commit/rollback)."""

    def __init__(self, engine):
        from sqlalchemy import event
        self.statements, self.transactions, self.held = Counter(), 0, []
        self._began = None
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _statement(self, _conn, _cursor, statement, *_args):
        verb = statement.lstrip().split(None, 1)[0].upper()
        self.statements[verb] += 1

    def _begin(self, _conn):
        self.transactions += 1
        self._began = time.perf_counter()

    def _end(self, _conn):
        if self._began is not None:
            self.held.append(time.perf_counter() - self._began)
            self._began = None

    def reset(self):
        """Forget what was counted so far."""
        self.statements.clear()
        self.transactions, self.held = 0, []


class ReceiveScans:
    """receiving.py's handheld, in process: one receive scan of one unit, line after line."""

    def __init__(self, facts):
        self.facts, self.seq = facts, 0

    def next_scan(self):
        """('receive', the scan's JSON)."""
        import uuid
        from datetime import datetime, timezone
        codes = self.facts["codes"]
        self.seq += 1
        return "receive", {
            "id": str(uuid.uuid4()), "seq": self.seq, "user_id": self.facts["user_id"],
            "device_time": datetime.now(timezone.utc).isoformat(), "action": "receive",
            "code": codes[self.seq % len(codes)], "quantity": 1,
            "subject_id": self.facts["receipt_id"]}

    def body(self, scans):
        """The request body."""
        import json
        return json.dumps({"device_id": self.facts["device_id"], "scans": scans})

    def headers(self):
        """The device token, as JSON."""
        return {"Authorization": f"Bearer {self.facts['token']}",
                "Content-Type": "application/json"}


def timed(client, make_request, count, counter):
    """Run count requests without a profiler; return (ms per request, SQL counts, held)."""
    counter.reset()
    started = time.perf_counter()
    for _ in range(count):
        make_request(client)
    elapsed = (time.perf_counter() - started) / count
    return elapsed * 1000, counter.statements.copy(), counter.transactions, list(counter.held)


def profiled(client, make_request, count):
    """Run count requests under cProfile; return the pstats.Stats."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        make_request(client)
    profiler.disable()
    return pstats.Stats(profiler, stream=io.StringIO())


def app_breakdown(stats, count, top):
    """The app's own functions (webapp/) by cumulative time per request, as table rows."""
    total = max(ct for (_f, _l, _n), (_cc, _nc, _tt, ct, _c) in stats.stats.items())
    rows = []
    for (path, line, name), (_cc, calls, _tt, cumulative, _callers) in stats.stats.items():
        if "/webapp/" in path:
            where = path.split("/webapp/", 1)[1]
            rows.append((cumulative, f"webapp/{where}:{line} {name}", calls / count))
    rows.sort(reverse=True)
    return [(name, f"{calls:g}", f"{100 * cumulative / total:.0f}%")
            for cumulative, name, calls in rows[:top]]


def hot_spots(stats, top):
    """The functions with the most time of their own (library internals included)."""
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue().split("\n", 4)[-1].strip()


def main(argv=None):
    """Profile scans and health checks on one database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--scans", type=int, default=400)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--action", choices=("pick", "receive"), default="pick",
                        help="pick scans (scan_throughput.py's lists) or receive scans "
                             "(receiving.py's 2,000-line receipt)")
    args = parser.parse_args(argv)
    (label, make_db), = databases([args.db])
    with make_db() as url, tempfile.TemporaryDirectory(prefix="bench-prof-") as folder:
        env = Environment(url, folder)
        app = env.app()
        from webapp.extensions import db
        with app.app_context():
            if args.action == "receive":
                import receiving
                scanner = ReceiveScans(receiving.seed())
            else:
                picker, = seed([args.scans + 10])
                scanner = ApiScanner(picker)
            counter = SqlCounter(db.engine)
        client = app.test_client()

        def scan(c):
            _kind, body = scanner.next_scan()
            response = c.post("/api/v1/scans", data=scanner.body([body]),
                              headers=scanner.headers())
            assert response.json["results"][0]["status"] == "applied", response.json

        def health(c):
            assert c.get("/healthz").status_code == 200

        for _ in range(10):  # warm caches (compiled SQL, templates, imports)
            scan(client)
            health(client)
        rows = []
        for name, request in (("GET /healthz", health), ("writing scan", scan)):
            per, statements, transactions, held = timed(client, request, args.scans, counter)
            n = args.scans
            rows.append((name, f"{per:.1f} ms",
                         ", ".join(f"{v / n:.1f} {k}" for k, v in statements.most_common()),
                         f"{transactions / n:.1f}", f"{1000 * sum(held) / n:.1f} ms"))
        print(f"\n#### Per request on {label} (in-process test client, no profiler, "
              f"{args.scans} requests each)\n")
        print(table(["request", "time", "SQL statements", "transactions",
                     "time inside transactions" + (" (write lock held)" if
                                                   args.db == "sqlite" else "")], rows))
        stats = profiled(client, scan, args.scans)
        print(f"\n#### Writing scan on {label}: the app's functions by cumulative time "
              f"(cProfile, {args.scans} requests)\n")
        print(table(["function", "calls per scan", "share of the request"],
                     app_breakdown(stats, args.scans, args.top)))
        print(f"\n#### Writing scan on {label}: most time of their own (cProfile)\n\n```\n"
              f"{hot_spots(stats, args.top)}\n```")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
