"""上架: suggestions (room, zone, empty bins), routing, walking, and the planning job
through a real RQ worker."""
import pytest
from sqlalchemy import func, select, update

from receiving_support import SIGNED, ean, products
from webapp.catalog.models import Barcode, Location, Product, StockLevel, StockMovement
from webapp.catalog.stock import ledger_mismatches, move_stock, on_hand
from webapp.extensions import db
from webapp.picking import routing
from webapp.picking.layout import Layout
from webapp.queues import enqueue
from webapp.receiving import putaway, services, walk
from webapp.receiving.jobs import plan_putaway
from webapp.receiving.models import PutawayRun, PutawayTask, Receipt


def loc(code):
    """A location by code."""
    return db.session.scalar(select(Location).where(Location.code == code))


def new_product(sku, code):
    """A product with no stock anywhere."""
    product = Product(sku=sku, name=f"New {sku}", barcodes=[Barcode(code=code,
                                                                    symbology="code128")])
    db.session.add(product)
    db.session.commit()
    return product


def received(receipt, user_id, lines):
    """A receipt with every line received (passed) and closed; returns (receipt, run)."""
    receipt_id = receipt([(p.sku, qty) for p, qty in lines])
    for product, qty in lines:
        assert services.scan(receipt_id, user_id("receiver"), product.sku, qty).ok
    run = services.close(receipt_id, user_id("receiver"), "Li Lei", "ACME", **SIGNED)
    db.session.commit()
    return db.session.get(Receipt, receipt_id), run


def used(location_id):
    """Units in a bin now."""
    return db.session.scalar(select(func.coalesce(func.sum(StockLevel.quantity), 0)).where(
        StockLevel.location_id == location_id))


def test_a_bin_already_holding_the_product_with_room_comes_first(warehouse, receipt,
                                                                  user_id):
    product = new_product("NEW-1", "NEW1")
    move_stock(product.id, 10, reason="opening", to_location_id=loc("B-05-05-1").id)
    db.session.commit()
    warehouse.config["PUTAWAY_BIN_CAPACITY"] = 12 + used(loc("B-05-05-1").id) - 10
    try:
        _receipt, run = received(receipt, user_id, [(product, 7)])
        putaway.plan(run)
    finally:
        warehouse.config["PUTAWAY_BIN_CAPACITY"] = 200
    held = [t for t in run.tasks if t.suggested.code == "B-05-05-1"]
    assert len(held) == 1 and held[0].quantity == 2
    rest = [t for t in run.tasks if t not in held]
    assert sum(t.quantity for t in rest) == 5
    # The rest go to empty bins of the product's zone, the nearest to where it is.
    layout = Layout.from_locations(db.session.scalars(select(Location).where(
        Location.type == "storage")).all())
    chosen = {t.suggested_location_id for t in rest}
    assert all(t.suggested.zone == "B" for t in rest)
    empty_left = db.session.scalars(select(Location).where(
        Location.type == "storage", Location.zone == "B", Location.id.not_in(chosen),
        Location.id.not_in(select(StockLevel.location_id).where(StockLevel.quantity > 0))))
    nearest_left = min(layout.distance(loc("B-05-05-1"), row) for row in empty_left)
    assert all(used(t.suggested_location_id) == 0 for t in rest)
    assert max(layout.distance(loc("B-05-05-1"), t.suggested) for t in rest) <= nearest_left


def test_a_product_with_no_stock_goes_to_the_front_empty_bins(warehouse, receipt, user_id):
    product = new_product("NEW-2", "NEW2")
    warehouse.config["PUTAWAY_BIN_CAPACITY"] = 4
    try:
        _receipt, run = received(receipt, user_id, [(product, 10)])
        putaway.plan(run)
    finally:
        warehouse.config["PUTAWAY_BIN_CAPACITY"] = 200
    assert sorted(t.quantity for t in run.tasks) == [2, 4, 4]
    for task in run.tasks:
        assert used(task.suggested_location_id) == 0 and task.suggested.type == "storage"
    empty = db.session.scalars(select(Location).where(
        Location.type == "storage", Location.id.not_in(
            select(StockLevel.location_id).where(StockLevel.quantity > 0)))
        .order_by(Location.zone, Location.aisle, Location.bay, Location.level)).all()
    assert {t.suggested_location_id for t in run.tasks} == {row.id for row in empty[:3]}


def test_no_room_anywhere_fails_with_a_message(warehouse, receipt, user_id):
    (p1,) = products(1)
    _receipt, run = received(receipt, user_id, [(p1, 3)])
    db.session.execute(update(Location).where(Location.type == "storage").values(active=False))
    with pytest.raises(putaway.PutawayError, match="no storage bins"):
        putaway.plan(run)


def test_walks_are_routed_like_the_waves(warehouse, receipt, user_id):
    lines = [(p, 5) for p in products(12)]
    _receipt, run = received(receipt, user_id, lines)
    putaway.plan(run)
    db.session.commit()
    layout = Layout.from_locations(db.session.scalars(select(Location).where(
        Location.type == "storage")).all())
    by_walk = {}
    for task in run.tasks:
        by_walk.setdefault(task.walk, []).append(task)
    for tasks in by_walk.values():
        stops = [{"location": t.suggested} for t in tasks]
        assert [t.sequence for t in tasks] == list(range(1, len(tasks) + 1))
        assert routing.route_length(layout, stops) <= routing.s_shape(layout, stops).length + 1e-6
    assert sum(t.quantity for t in run.tasks) == 60


def test_walking_moves_stock_once_per_task_and_records_overrides(warehouse, receipt, user_id):
    p1, p2 = products(2)
    receipt_row, run = received(receipt, user_id, [(p1, 3), (p2, 2)])
    putaway.plan(run)
    db.session.commit()
    receiver, dock = user_id("receiver"), loc("RCV-01")
    first = walk.current_task(run)
    assert not walk.scan(run.id, receiver, ean(first.product)).ok      # item before bin
    assert not walk.scan(run.id, receiver, "RCV-02").ok                 # not a storage bin
    other = "C-10-10-4" if first.suggested.code != "C-10-10-4" else "C-10-10-3"
    assert walk.scan(run.id, receiver, other).ok                        # override
    wrong = p2 if first.product_id == p1.id else p1
    assert not walk.scan(run.id, receiver, ean(wrong)).ok
    assert walk.scan(run.id, receiver, ean(first.product)).ok
    db.session.commit()
    assert (first.status, first.override, first.location.code) == ("done", True, other)
    while (task := walk.current_task(run)) is not None:
        assert walk.scan(run.id, receiver, task.suggested.code).ok
        assert walk.scan(run.id, receiver, task.product.sku).ok
        db.session.commit()
    assert on_hand(p1.id, dock.id) == 0 and on_hand(p2.id, dock.id) == 0
    moves = db.session.scalars(select(StockMovement).where(
        StockMovement.reason == "putaway")).all()
    assert len(moves) == len(run.tasks)
    assert {m.source for m in moves} == {f"putaway-task:{t.id}" for t in run.tasks}
    assert db.session.get(Receipt, receipt_row.id).status == "put_away"
    assert receipt_row.events[-1].to_status == "put_away"
    with pytest.raises(walk.TaskGone):
        walk.scan(run.id, receiver, "A-01-01-1")
    assert ledger_mismatches() == []


def test_planning_twice_replaces_unfinished_tasks(warehouse, receipt, user_id):
    (p1,) = products(1)
    _receipt, run = received(receipt, user_id, [(p1, 3)])
    putaway.plan(run)
    run.status = "running"  # as if the job died after planning, before committing
    putaway.plan(run)
    db.session.commit()
    assert db.session.scalar(select(func.count(PutawayTask.id))) == len(run.tasks)
    assert sum(t.quantity for t in run.tasks) == 3


def work(db_url, run_worker):
    """Run a burst worker on the default queue. The test's transaction ends first: on
    SQLite it holds the write lock the worker needs."""
    db.session.commit()
    run_worker(db_url, "default")
    db.session.expire_all()


def test_planning_job_through_a_real_worker(sqlite_warehouse, receipt, user_id, run_worker,
                                            sqlite_url):
    (p1, p2) = products(2)
    _receipt, run = received(receipt, user_id, [(p1, 4), (p2, 3)])
    run_id = run.id
    # A failure first: no room at all. The job marks the run failed; retry then works.
    db.session.execute(update(Location).where(Location.type == "storage").values(active=False))
    db.session.commit()
    enqueue("default", plan_putaway, run_id)
    work(sqlite_url, run_worker)
    run = db.session.get(PutawayRun, run_id)
    assert run.status == "failed" and "no storage bins" in run.error
    db.session.execute(update(Location).where(Location.type == "storage").values(active=True))
    run.status = "queued"
    db.session.commit()
    for _ in range(2):  # the second run of the job finds the run finished: no change
        enqueue("default", plan_putaway, run_id)
    work(sqlite_url, run_worker)
    run = db.session.get(PutawayRun, run_id)
    assert run.status == "finished" and run.finished_at is not None
    assert sum(t.quantity for t in run.tasks) == 7
    assert db.session.scalar(select(func.count(PutawayTask.id))) == len(run.tasks)
