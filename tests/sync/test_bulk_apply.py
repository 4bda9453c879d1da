"""The bulk apply of stored pick scans gives the same answers as applying them one by one.

The same random scan sequences (walks with right and wrong items, wrong locations,
too many units, other lists' tasks, replays, scans refused on the device; between
rounds stock taken away, a short pick (of units the books no longer show), an order
cancelled mid-way) are sent three times on the same fresh warehouse: in small batches
the sync API applies inline, one scan at a time through the ORM rules (services.scan),
then the same inline as the API applies them now (picking.scan_now, a statement or a
few a scan), then stored and applied by the reconciliation job set-based. Every table
the scans touch must then hold the same rows.
"""
import dataclasses
import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from flask import g
from sqlalchemy import DateTime, select, text

from stock_support import write_off
from webapp import bulksql, demo
from webapp.accounts.models import User
from webapp.accounts.services import record_sign_in, register_device
from webapp.catalog.models import Barcode
from webapp.catalog.stock import StockError, ledger_mismatches, move_stock
from webapp.extensions import db
from webapp.orders.services import OrderError, cancel_order
from webapp.picking import services as picking
from webapp.picking.models import PickList, PickTask
from webapp.picking.services import PickingError
from webapp.picking.shortage import short_pick
from webapp.sync import actions, applying, jobs, services
from webapp.sync.models import ScanRecord

# What a scan can change; compared row by row (times only as set or not).
COMPARED = ("scan_record", "pick_task", "pick_list", "order", "order_line", "order_event",
            "order_exception", "reservation", "stock_level", "stock_movement",
            "location_block", "audit_entry")
# Which way a scan came in: a stored batch has its id, an inline one none. A level's
# id says only in which order the packing area's levels were first made (the bulk
# write makes them in (product, location) order, the order levels are locked in).
# One flush writes its audit entries in the order the session holds the objects: a
# scan's entries are compared as a set, by what they are about.
# A task's version counts its writes (the ORM writes a task once a scan, a run of the
# bulk apply once a run): bookkeeping against concurrent writes, not what happened.
NOT_COMPARED = {("scan_record", "batch_id"), ("stock_level", "id"), ("audit_entry", "id"),
                ("pick_task", "version")}
ORDER = {"stock_level": ("product_id", "location_id"),
         "audit_entry": ("why", "object_type", "object_id", "action")}
START = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def reset():
    """Empty every table and restart the ids, so both runs number their rows alike."""
    if db.session.get_bind().dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()
    for key in ("staging_location_id", "scanning_users"):
        g.pop(key, None)


def warehouse():
    """The demo warehouse with two lists started by the picker on a registered device."""
    demo.seed(products=40)
    db.session.commit()
    picker = db.session.scalar(select(User.id).where(User.username == "picker"))
    lists = db.session.scalars(select(PickList.id).where(PickList.status == "open")
                               .order_by(PickList.id).limit(2)).all()
    for list_id in lists:
        picking.start_list(list_id, picker)
    device, token = register_device("HH-EQUAL", roles=["picker"])
    record_sign_in(device.id, picker)
    db.session.commit()
    return {"picker": picker, "lists": lists, "device": device.id,
            "headers": {"Authorization": f"Bearer {token}"},
            "audit_from": db.session.scalar(text("SELECT coalesce(max(id), 0) FROM audit_entry"))}


class Walker:
    """Makes the scans of a round from the state now, drawing from its own generator."""

    def __init__(self, rng, ctx):
        self.rng, self.ctx, self.seq, self.made, self.sent = rng, ctx, 0, 0, []

    def round(self, size):
        """About `size` scans: walk the pending tasks in order, with noise."""
        tasks = db.session.scalars(select(PickTask).where(
            PickTask.pick_list_id.in_(self.ctx["lists"]))
            .order_by(PickTask.pick_list_id, PickTask.sequence, PickTask.id)).all()
        pending = [t for t in tasks if t.status == "pending"]
        scans = []
        for task in pending:
            if len(scans) >= size:
                break
            if self.rng.random() < 0.15:
                continue  # walked past: a later task first
            scans += self.walk(task, tasks)
        for scan in scans:  # a device numbers its scans in the order they were taken
            self.seq += 1
            scan["seq"] = self.seq
        replays = self.rng.sample(self.sent, min(3, len(self.sent))) \
            if self.rng.random() < 0.5 else []  # sent before: the answer was lost
        self.sent += scans
        return scans + replays

    def walk(self, task, tasks):
        """The scans of one task: location and units, shuffled a little, with mistakes."""
        rng = self.rng
        steps = [task.location.code] + [self.barcode(task.product_id)] * (
            task.quantity - task.picked_qty)
        if rng.random() < 0.3:
            rng.shuffle(steps)
        made = [self.make(task, code) for code in steps]
        for _ in range(rng.choice((0, 0, 1, 2))):
            other = rng.choice(tasks)
            kind = rng.random()
            if kind < 0.3:
                mistake = self.make(task, self.barcode(other.product_id))
            elif kind < 0.5:
                mistake = self.make(task, other.location.code)
            elif kind < 0.6:
                mistake = self.make(task, "NOT-A-THING-42")
            elif kind < 0.7:
                mistake = self.make(task, self.barcode(task.product_id), quantity=3)
            elif kind < 0.8:
                mistake = self.make(other, other.location.code)  # a task done or cancelled
            elif kind < 0.9:
                mistake = self.make(task, task.product.sku, refused="Wrong item")
            else:
                mistake = self.make(task, task.location.code, task_id=other.id + 100000)
            made.insert(rng.randrange(len(made) + 1), mistake)
        return made

    def barcode(self, product_id):
        """The product's first barcode."""
        return db.session.scalar(select(Barcode.code).where(Barcode.product_id == product_id)
                                 .order_by(Barcode.id))

    def make(self, task, code, quantity=1, **extra):
        """One pick scan, its uuid drawn from the generator: both runs send the same."""
        self.made += 1
        return {"id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                "user_id": self.ctx["picker"],
                "device_time": (START + timedelta(seconds=self.made)).isoformat(),
                "action": "pick", "code": code, "quantity": quantity,
                "pick_list_id": task.pick_list_id, "task_id": task.id, **extra}


# A write-off first, so the next round's scans meet the empty shelf and the short after
# them finds units in the cart that the books no longer show; the units come back at
# the round of "nothing" (the write-off was wrong).
EVENTS = ("write-off", "short", "cancel", "nothing")


def happen(event, rng, ctx):
    """Something the warehouse does between two syncs, to a task the generator draws;
    return whether it was done (else refused, as it would be on the screen)."""
    pending = db.session.scalars(select(PickTask).where(
        PickTask.pick_list_id.in_(ctx["lists"]), PickTask.status == "pending")
        .order_by(PickTask.id)).all()
    if event == "nothing":
        for task in ctx.pop("restock", []):  # the write-off was wrong: the units came back
            move_stock(task.product_id, task.quantity, reason="adjustment",
                       to_location_id=task.location_id, source="recount")
    if not pending or event == "nothing":
        db.session.commit()
        return False
    task = rng.choice(pending)
    try:
        with db.session.begin_nested():
            if event == "cancel":  # preferably one with units in the cart: put back
                live = [t for t in pending if t.kind == "pick" and t.order.status == "picking"]
                begun = [t for t in live if db.session.scalar(select(PickTask.id).where(
                    PickTask.order_id == t.order_id, PickTask.status == "done").limit(1))]
                if not live:
                    return False
                cancel_order(rng.choice(begun or live).order_id, None, "customer cancelled")
            elif event == "short":  # preferably one with units in the cart
                current = [t for t in (picking.current_task(db.session.get(PickList, list_id))
                                       for list_id in ctx["lists"]) if t and t.kind == "pick"]
                if not current:
                    return False
                task = max(current, key=lambda t: t.picked_qty > 0)
                short_pick(task.pick_list_id, task.id, ctx["picker"], "empty")
            else:  # the next task of a list: the next round's scans meet the empty shelf
                current = [picking.current_task(db.session.get(PickList, list_id))
                           for list_id in ctx["lists"]]
                task = rng.choice([t for t in current if t and t.kind == "pick"] or pending)
                write_off(task)
                ctx.setdefault("restock", []).append(task)
    except (OrderError, PickingError):
        return False
    except StockError:
        if event == "short":
            raise  # the cart's units exist whatever the books say: a short is always taken
        return False
    finally:
        db.session.commit()
    return True


def run(client, seed, way, monkeypatch):
    """Set the warehouse up, play the rounds of `seed` one of the WAYS; return the
    answers and tables."""
    bulk = way == "bulk"
    reset()
    ctx = warehouse()
    rng = random.Random(seed)
    walker = Walker(rng, ctx)
    answers, events = [], set()
    for _round in range(24):  # or until both lists are walked
        scans = walker.round(rng.randint(8, 30))
        if not scans:  # both lists walked to the end
            break
        if bulk:
            monkeypatch.setattr(services, "INLINE_LIMIT", 0)  # every batch stored
            monkeypatch.setattr(applying, "BULK_CHUNK", (7, 30, 1000)[_round % 3])
            # PostgreSQL binds many rows as arrays (unnest), a few as plain rows: both.
            monkeypatch.setattr(bulksql, "UNNEST_FROM", (1, 1000)[_round % 2])
        elif way == "orm":  # inline, each scan through the ORM rules (services.scan)
            monkeypatch.setitem(actions._ACTIONS, "pick",
                                dataclasses.replace(actions.get("pick"), apply_now=None))
        body = {"device_id": ctx["device"], "scans": scans}
        response = client.post("/api/v1/scans", headers=ctx["headers"], json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
        batch_id = response.json["batch_id"]
        assert bool(batch_id) == bulk
        if batch_id:
            jobs.apply_scan_batch(batch_id)
            db.session.commit()
            stored = select(ScanRecord.scan_uuid, ScanRecord.status, ScanRecord.reason).where(
                ScanRecord.scan_uuid.in_([r["id"] for r in response.json["results"]]))
            final = {row.scan_uuid: (row.status, row.reason) for row in db.session.execute(stored)}
            answers += [(r["id"], *final[r["id"]]) if r["status"] == "stored"
                        else (r["id"], r["status"], r["reason"]) for r in response.json["results"]]
        else:
            answers += [(r["id"], r["status"], r["reason"]) for r in response.json["results"]]
        monkeypatch.undo()  # only now: the job runs with this round's BULK_CHUNK and UNNEST_FROM
        event = EVENTS[_round % len(EVENTS)]
        if happen(event, rng, ctx):
            events.add(event)
    db.session.expire_all()
    return answers, snapshot(ctx), ledger_mismatches(), events


def snapshot(ctx):
    """Every compared table's rows in id order; times only as set or not."""
    tables = {}
    for table in db.metadata.sorted_tables:
        if table.name not in COMPARED:
            continue
        query = select(table).order_by(*(table.c[name] for name in ORDER[table.name])
                                       if table.name in ORDER else table.primary_key.columns)
        if table.name == "audit_entry":  # the demo's own entries carry the seeding times
            query = query.where(table.c.id > ctx["audit_from"])
        rows = []
        for row in db.session.execute(query).mappings():
            rows.append({name: (value is not None) if isinstance(table.c[name].type, DateTime)
                         else value for name, value in row.items()
                         if (table.name, name) not in NOT_COMPARED})
        tables[table.name] = rows
    return tables


def test_bulk_apply_matches_one_by_one(any_app, monkeypatch):
    """Inline through the ORM rules, inline applied now (scan_now), stored and applied
    set-based: the same answers and the same rows."""
    client = any_app.test_client()
    seen = {"answers": set(), "events": set(), "tasks": set(), "lists": set(), "moves": set()}
    for seed in (1, 2, 3):
        one_by_one, tables_one, mismatches_one, events = run(client, seed, "orm", monkeypatch)
        assert mismatches_one == []
        for way in ("now", "bulk"):
            answers, tables, mismatches, _events = run(client, seed, way, monkeypatch)
            assert mismatches == []
            for number, (mine, theirs) in enumerate(zip(answers, one_by_one)):
                assert (seed, way, number, mine) == (seed, way, number, theirs)
            assert len(answers) == len(one_by_one)
            for name in COMPARED:
                assert len(tables[name]) == len(tables_one[name]), (seed, way, name)
                for mine, theirs in zip(tables[name], tables_one[name]):
                    assert mine == theirs, (seed, way, name)
        seen["answers"] |= {status for _id, status, _reason in one_by_one}
        seen["answers"] |= {"stock gone" for _id, _s, reason in one_by_one
                            if reason.startswith("stock already gone")}
        seen["events"] |= events
        seen["tasks"] |= {(row["kind"], row["status"]) for row in tables_one["pick_task"]}
        seen["lists"] |= {row["status"] for row in tables_one["pick_list"]}
        seen["moves"] |= {row["reason"] for row in tables_one["stock_movement"]}
        seen["moves"] |= {"posted back" for row in tables_one["stock_movement"]
                          if row["reason"] == "adjustment"
                          and (row["source"] or "").startswith("pick-task:")}
    # The sequences went through every kind of answer and finished tasks and lists.
    # (A put-back task's synced scans are applied though its order is cancelled: the
    # put-back is what the cancel asked for. Both ways.)
    assert seen["answers"] >= {"applied", "rejected", "conflict", "duplicate", "stock gone"}
    assert seen["events"] == {"cancel", "short", "write-off"}
    assert seen["tasks"] >= {("pick", "done"), ("pick", "cancelled"), ("pick", "short"),
                             ("putback", "done")}
    assert "done" in seen["lists"] and "pick" in seen["moves"]
    # A short found units in the cart that a write-off had taken off the books.
    assert "posted back" in seen["moves"]
