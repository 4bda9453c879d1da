"""Counts (盘点): making count tasks for 50,000 locations, and approving 10,000 variances,
each against a baseline measured in the same run.

    .venv/bin/python benchmarks/counts.py            # SQLite, then PostgreSQL
    .venv/bin/python benchmarks/counts.py --quick    # 10,000 locations, 2,000 variances
    .venv/bin/python benchmarks/counts.py --variances=2000   # 50,000 bins, fewer approvals

Tasks: a plan over every storage bin of a 50,000-bin warehouse (5 zones x 50 aisles x
50 bays x 4 levels) runs its job body (plans.generate_tasks) in process; baseline:
reading the same 50,000 location ids in walking order (the floor of any plan). The job
runs a second time (safe to run twice: it adds nothing) and is timed too.
Variances: 10,000 counted bins each found one unit the books did not expect there;
the supervisor approves them 200 at a time (a page of "Approve all shown"): each is one
ledger line, its block check and its task closed. Baseline: the same 10,000 ledger
movements written bare with move_stock. Checks: one task per bin, every line approved
with its movement, stock levels equal the ledger.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import databases, parse_args, ratio, table  # noqa: E402

SIZES = {"full": dict(zones="ABCDE", aisles=50, variances=10_000),
         "quick": dict(zones="AB", aisles=25, variances=2_000)}
PAGE = 200


def seed(size):
    """The warehouse, its bins, one product and a supervisor; their ids."""
    from sqlalchemy import insert

    from webapp.accounts.models import User
    from webapp.catalog.models import Location, Product, Warehouse
    from webapp.extensions import db
    warehouse = Warehouse(code="MAIN", name="Bench")
    boss = User(username="bench-boss", password_hash="x")
    products = [Product(sku=f"BENCH-{n}", name="bench", unit_cost_cents=100) for n in (1, 2)]
    db.session.add_all([warehouse, boss, *products])
    db.session.flush()
    rows = [{"warehouse_id": warehouse.id, "type": "storage", "zone": zone, "aisle": aisle,
             "bay": bay, "level": level, "active": True,
             "code": f"{zone}-{aisle:02d}-{bay:02d}-{level}"}
            for zone in size["zones"] for aisle in range(1, size["aisles"] + 1)
            for bay in range(1, 51) for level in range(1, 5)]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Location), rows[start:start + 5000])
    db.session.commit()
    return {"boss": boss.id, "products": [p.id for p in products]}


def time_generation(facts):
    """(baseline s, generate s, second run s, tasks) for a plan over every bin."""
    from sqlalchemy import func, select

    from webapp.counts import plans
    from webapp.counts.models import CountTask
    from webapp.extensions import db
    started = time.perf_counter()
    ids = db.session.scalars(plans._storage()).all()
    baseline = time.perf_counter() - started
    first = min(ids)
    plan = plans.create_plan("range", {"first": "A", "last": "Z"}, facts["boss"])
    db.session.commit()
    started = time.perf_counter()
    plans.generate_tasks(plan)
    db.session.commit()
    made = time.perf_counter() - started
    started = time.perf_counter()
    plans.generate_tasks(plan)
    db.session.commit()
    again = time.perf_counter() - started
    tasks = db.session.scalar(select(func.count()).where(CountTask.plan_id == plan.id))
    assert tasks == len(ids) and first is not None, (tasks, len(ids))
    return baseline, made, again, tasks


def time_approval(facts, count):
    """(baseline s, approve s) for `count` variances of +1 unit."""
    from sqlalchemy import select, update

    from webapp.catalog.stock import ledger_mismatches, move_stock
    from webapp.counts import variances
    from webapp.counts.models import CountLine, CountTask
    from webapp.extensions import db
    bare, counted = facts["products"]
    tasks = db.session.scalars(select(CountTask).order_by(CountTask.id).limit(count)).all()
    started = time.perf_counter()
    for task in tasks:
        move_stock(bare, 1, reason="adjustment", to_location_id=task.location_id)
    db.session.commit()
    baseline = time.perf_counter() - started
    db.session.add_all(CountLine(task_id=task.id, product_id=counted, counted_qty=1,
                                 book_qty=0, status="pending") for task in tasks)
    db.session.execute(update(CountTask).where(CountTask.id.in_([t.id for t in tasks]))
                       .values(status="counted", counter_id=facts["boss"]))
    db.session.commit()
    line_ids = db.session.scalars(select(CountLine.id).order_by(CountLine.id)).all()
    started = time.perf_counter()
    for page in range(0, len(line_ids), PAGE):
        assert variances.approve(line_ids[page:page + PAGE], facts["boss"]) == len(
            line_ids[page:page + PAGE])
        db.session.commit()
    approved = time.perf_counter() - started
    assert db.session.scalar(select(CountLine.id).where(
        CountLine.status != "approved")) is None
    assert ledger_mismatches() == []
    return baseline, approved


def run_on(label, make_db, size):
    """Seed a fresh database, time both, return table rows."""
    from _harness import Environment
    with make_db() as db_url, tempfile.TemporaryDirectory(prefix="bench-counts-") as folder:
        app = Environment(db_url, folder).app()
        with app.app_context():
            facts = seed(size)
            base, made, again, tasks = time_generation(facts)
            bare, approved = time_approval(facts, size["variances"])
    return [[label, f"count tasks for {tasks:,} bins", f"{base:.2f} s (read the bins)",
             f"{made:.2f} s", ratio(made / base), f"{again:.2f} s (adds 0)"],
            [label, f"approve {size['variances']:,} variances, {PAGE} a page",
             f"{bare:.2f} s (bare ledger lines)", f"{approved:.2f} s", ratio(approved / bare),
             f"{size['variances'] / approved:,.0f} / s"]]


def main(argv=None):
    """Run and print the table."""
    variances = [a for a in (argv if argv is not None else sys.argv[1:])
                 if a.startswith("--variances=")]
    argv = [a for a in (argv if argv is not None else sys.argv[1:]) if a not in variances]
    options = parse_args(__doc__, argv, "10,000 bins and 2,000 variances, SQLite only")
    size = dict(SIZES["quick" if options.quick else "full"])
    if variances:  # --variances=N: fewer approvals on a busy machine
        size["variances"] = int(variances[0].split("=", 1)[1])
    names = options.db or (["sqlite"] if options.quick else ["sqlite", "postgres"])
    rows = []
    for label, make_db in databases(names):
        rows += run_on(label, make_db, size)
    print(table(["database", "work", "baseline", "time", "vs baseline", "note"], rows))


if __name__ == "__main__":
    main()
