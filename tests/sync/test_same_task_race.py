"""Two scans of one pick task at the same instant, on PostgreSQL: each counts once.

A double Enter, two tabs, or a synced scan racing the screen: on PostgreSQL both
requests read the task before either commits. The scan path reads the task without a
lock and used to write its progress as an absolute value, so the second write
repeated the first ("1 of 2" twice: a unit lost) or, for a finishing scan, moved the
stock a second time. Each test holds the first scan's transaction open until the
second is seen waiting on a lock, then lets both finish. (SQLite takes its write lock
at BEGIN IMMEDIATE: the second request reads only after the first commits.)
"""
from sqlalchemy import func, select

from webapp.accounts.models import Device
from webapp.catalog.models import Barcode, StockMovement
from webapp.extensions import db
from webapp.picking import scan_now
from webapp.picking import services as picking
from webapp.picking.models import PickTask
from webapp.sync import services as sync
from webapp.sync.models import ScanRecord

from racing import race


def _second_waits_for_first(app, first, second):
    """Run `first` and keep its transaction open; run `second` in another thread until
    it waits on a lock the first holds; then commit the first. Returns both results."""
    results = dict(zip(("first", "second", "waited"), race(app, first, second)))
    errors = [f"{name}: {value!r}" for name, value in results.items()
              if isinstance(value, Exception)]
    assert not errors, errors
    assert results["waited"], \
        "the second scan never waited on the first (the race was not set up)"
    return results


def _barcode(task):
    return db.session.scalar(select(Barcode.code).where(Barcode.product_id == task.product_id))


def _moves_of(task):
    return db.session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.source == f"pick-task:{task.id}"))


def test_a_double_enter_on_the_screen_moves_the_stock_once(on_postgres):
    app, pick_list, picker = on_postgres["app"], on_postgres["list"], on_postgres["picker"]
    task = picking.current_task(pick_list)
    picking.scan(pick_list.id, picker.id, task.location.code)
    for _ in range(task.quantity - 1):  # all but the last unit
        picking.scan(pick_list.id, picker.id, _barcode(task))
    code, list_id, user_id, task_id = _barcode(task), pick_list.id, picker.id, task.id

    def scan():
        return scan_now.screen_scan(list_id, user_id, code, 1).message

    _second_waits_for_first(app, scan, scan)
    task = db.session.get(PickTask, task_id)
    assert task.status == "done" and task.picked_qty == task.quantity
    assert _moves_of(task) == 1  # before: the second scan moved the stock again


def test_two_synced_scans_of_one_task_both_count(on_postgres, device, scans):
    app, pick_list = on_postgres["app"], on_postgres["list"]
    task = db.session.scalar(select(PickTask).where(
        PickTask.pick_list_id == pick_list.id, PickTask.status == "pending",
        PickTask.quantity >= 2).order_by(PickTask.sequence))
    assert task is not None, "the demo list has a task of two or more units"
    located = scans.make(task, task.location.code)
    units = [scans.make(task, _barcode(task)) for _ in range(2)]
    device_id, task_id, quantity = device["id"], task.id, task.quantity
    assert sync.receive({"scans": [located]}, db.session.get(Device, device_id))[0][0][
        "status"] == "applied"

    def send(scan):
        def job():
            return sync._receive_one(scan, db.session.get(Device, device_id), None, set())
        return job

    results = _second_waits_for_first(app, send(units[0]), send(units[1]))
    assert [results[name]["status"] for name in ("first", "second")] == ["applied", "applied"]
    task = db.session.get(PickTask, task_id)
    assert task.picked_qty == 2  # before: 1, the second write repeated the first
    assert task.status == ("done" if quantity == 2 else "pending")
    assert _moves_of(task) == (1 if quantity == 2 else 0)
    stored = db.session.scalars(select(ScanRecord.status).where(
        ScanRecord.scan_uuid.in_([u["id"] for u in units]))).all()
    assert stored == ["applied", "applied"]


def test_a_screen_action_that_still_loses_is_told_so_not_a_500(app):
    """When the one-by-one path itself loses to another write (the ORM's version check,
    StaleDataError at its flush), the person gets the 409 fragment, nothing is kept."""
    from sqlalchemy.orm.exc import StaleDataError
    with app.test_request_context("/picking/lists/1/scan", method="POST",
                                  headers={"HX-Request": "true"}):
        response = app.make_response(app.handle_user_exception(StaleDataError("pick_task")))
    assert response.status_code == 409
    assert "This conflicts with a change made meanwhile." in response.get_data(as_text=True)
