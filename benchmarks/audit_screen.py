"""The audit screen over 1,000,000 audit entries: server time per page (median, p95) for
each filter a supervisor uses, at demo size and at 1,000,000 entries in the same run,
against a plain page (the sign-in page) measured in the same run.

    .venv/bin/python benchmarks/audit_screen.py               # SQLite, then PostgreSQL
    .venv/bin/python benchmarks/audit_screen.py --db sqlite
    .venv/bin/python benchmarks/audit_screen.py --quick       # 100,000 entries, SQLite

The trail is seeded with SQLAlchemy Core in bulk (not measured): entries over 90 days,
ids rising with time as they do, 50 people (one of them with 1 entry in 10,000: a
filter that matches little), 20 devices, eight kinds of object, 1 % deletions. First
2,000 entries (a demo's worth) and every page is timed; then the rest is added and
the same pages are timed again. Requests go through the app in process (Flask's test
client), so the time is the server's own: routing, queries, rendering. PostgreSQL is
ANALYZEd after the bulk load (autovacuum would do it); SQLite is left as it is.
"""
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta

from _harness import Environment, _cheap_password_hashing, databases, parse_args, table
from console import p95, timed  # the console benchmark's way of timing a page

DEMO = 2_000
KINDS = ("order", "order", "order", "pick_list", "pick_task", "count_line", "count_task",
         "stock_level", "user", "device")
RUNS = 15


def people(db):
    """The supervisor who reads the screen, 50 people and 20 devices; their ids."""
    from webapp.accounts.models import Device
    from webapp.accounts.services import create_user
    with _cheap_password_hashing():
        boss = create_user("boss", "bench-password", ["supervisor"])
        staff = [create_user(f"p{n}", "bench-password", ["picker"]) for n in range(49)]
        rare = create_user("rare", "bench-password", ["picker"])
    devices = [Device(name=f"HH-{n}", token_hash=f"{n:064d}") for n in range(20)]
    db.session.add_all(devices)
    db.session.commit()
    return {"boss": boss.id, "staff": [u.id for u in staff], "rare": rare.id,
            "devices": [d.id for d in devices]}


def add_entries(db, ids, first, last, total, rng, span_end):
    """Entries number first..last-1 of a trail of `total` over 90 days up to span_end
    (ids rise with time), in chunks."""
    from webapp.audit.models import AuditEntry
    total_span = timedelta(days=90)
    for start in range(first, last, 20_000):
        rows = []
        for n in range(start, min(start + 20_000, last)):
            user = ids["rare"] if n % 10_000 == 4_321 else (
                None if n % 10 == 0 else rng.choice(ids["staff"]))
            action = "deleted" if n % 100 == 7 else rng.choice(("changed",) * 4 + ("created",))
            rows.append({
                "at": span_end - total_span * (1 - n / total), "user_id": user,
                "device_id": rng.choice(ids["devices"]) if n % 3 == 0 else None,
                "object_type": rng.choice(KINDS), "object_id": rng.randint(1, 50_000),
                "action": action, "old_values": {"status": "new"},
                "new_values": {"status": "allocated"}, "why": None})
        db.session.execute(AuditEntry.__table__.insert(), rows)
    db.session.commit()


def pages(day):
    """(label, path) of the pages timed; `day` is a date inside the trail."""
    return [("newest entries", "/audit"),
            ("one person (2 % of entries)", "/audit?person=p7"),
            ("one person with 1 entry in 10,000", "/audit?person=rare"),
            ("one object (order 123)", "/audit?object_type=order&object_id=123"),
            ("deletions (1 %)", "/audit?action=deleted"),
            ("one day", f"/audit?since={day}&until={day}"),
            ("a person on one day", f"/audit?person=p7&since={day}&until={day}"),
            ("an order's whole history", "/audit/order/123"),
            ("CSV of one person on one day", f"/audit.csv?person=p7&since={day}&until={day}")]


def signed_in(app):
    """A test client signed in as the supervisor."""
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": "boss", "password": "bench-password",
                                       "csrf_token": token}).status_code == 302
    return client


def measure(app, day, runs):
    """{label: samples} of the plain page and every audit page."""
    client, plain = signed_in(app), app.test_client()
    found = {"plain page: /login (baseline)": timed(plain, "/login", runs)}
    for label, path in pages(day):
        found[label] = timed(client, path, runs)
    found["plain page: /login (baseline)"] += timed(plain, "/login", runs)
    return found


def run_on(label, make_db, total, runs):
    """Seed, time at demo size, grow to `total`, time again; the table's rows."""
    from sqlalchemy import text

    from webapp.extensions import db
    from webapp.timeutil import utcnow
    rng, now = random.Random(7), utcnow()
    day = (now - timedelta(days=20)).strftime("%Y-%m-%d")
    with make_db() as url, tempfile.TemporaryDirectory(prefix="bench-audit-") as folder:
        env = Environment(url, folder)
        app = env.app()
        try:
            with app.app_context():
                ids = people(db)
                # The demo's entries are the newest: the big trail grows before them.
                add_entries(db, ids, total - DEMO, total, total, rng, now)
                db.session.remove()
            small = measure(app, day, runs)
            with app.app_context():
                started = time.perf_counter()
                add_entries(db, ids, 0, total - DEMO, total, rng, now)
                if db.engine.dialect.name == "postgresql":
                    db.session.execute(text("ANALYZE audit_entry"))
                    db.session.commit()
                seeded = time.perf_counter() - started
                db.session.remove()
            big = measure(app, day, runs)
        finally:
            env.drop_queues()
    print(f"\n#### {label}: {DEMO:,} entries, then {total:,} (the rest seeded in "
          f"{seeded:.0f} s), {runs} requests a page (the plain page twice as many)\n")
    small_base = statistics.median(small["plain page: /login (baseline)"])
    big_base = statistics.median(big["plain page: /login (baseline)"])
    rows = []
    for page in small:
        s, b = small[page], big[page]
        rows.append((page, f"{statistics.median(s):.1f} ms", f"{statistics.median(b):.1f} ms",
                     f"{p95(b):.1f} ms", f"{statistics.median(b) / statistics.median(s):.1f}x",
                     f"{statistics.median(b) / big_base:.1f}x"))
    print(table(("page", f"median at {DEMO:,}", f"median at {total:,}", f"p95 at {total:,}",
                 "large vs demo", "large vs plain page"), rows))
    return small_base, big_base


def main(argv=None):
    """Run on each database and print a table for each."""
    options = parse_args(__doc__, argv if argv is not None else sys.argv[1:],
                         "100,000 entries, SQLite only")
    names = options.db or (["sqlite"] if options.quick else ["sqlite", "postgres"])
    total = 100_000 if options.quick else 1_000_000
    for label, make_db in databases(names):
        run_on(label, make_db, total, 5 if options.quick else RUNS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
