"""The scan that finishes a list and a cancel of one of its orders at the same instant
(PostgreSQL): neither person gets a 500, and the books agree afterwards.

The scan writes its task, then moves the list's orders on; a cancel locks the order,
then cancels its pending tasks. Interleaved (the scan's task written, the cancel's
order locked, each then wanting the other's row) PostgreSQL breaks the deadlock by
failing one of them. That one must be tried again or told "changed meanwhile" (409),
never answered with a 500; the scan is not lost and not counted twice.

When the cancelled order's units are all in the cart, the cancel adds put-backs to the
list instead: if the scan had already found nothing left to walk, it closed the list
'done' over them. Closers and adders now meet on the list's row lock.
(SQLite takes its write lock at BEGIN IMMEDIATE: one request runs after the other.)
"""
import threading

import pytest
from sqlalchemy import func, select

from webapp.catalog.models import Barcode, StockMovement
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.picking import closing, scan_now
from webapp.picking import services as picking
from webapp.picking.models import PickList, PickTask
from webapp.sync.models import ScanRecord

from racing import wait_for_lock_wait


def _barcode(task):
    return db.session.scalar(select(Barcode.code).where(Barcode.product_id == task.product_id))


def _all_but_the_last_unit(pick_list, picker):
    """Walk the list to its last task's last unit; return that task."""
    while True:
        task = picking.current_task(pick_list)
        if not task.location_confirmed:
            picking.scan(pick_list.id, picker.id, task.location.code)
        remaining = task.quantity - task.picked_qty
        last = picking.progress(pick_list)[0] == picking.progress(pick_list)[1] - 1
        for _ in range(remaining - (1 if last else 0)):
            picking.scan(pick_list.id, picker.id, _barcode(task))
        db.session.commit()
        if last:
            return task


def test_the_finishing_scan_and_a_cancel_at_once(on_postgres, device, scans, monkeypatch):
    app, pick_list, picker = on_postgres["app"], on_postgres["list"], on_postgres["picker"]
    task = _all_but_the_last_unit(pick_list, picker)
    last_unit = scans.make(task, _barcode(task))
    order_id, list_id, task_id = task.order_id, pick_list.id, task.id
    supervisor = _supervisor(app)

    # Pause the scan after it wrote its task, before it moves the list's orders on,
    # until the cancel (which locks the order first) waits on the scan's task.
    paused, go = threading.Event(), threading.Event()
    orders_of = closing.orders_of

    def pausing(a_list):
        if threading.current_thread().name == "scan" and not go.is_set():
            paused.set()
            go.wait(30)
        return orders_of(a_list)

    monkeypatch.setattr(closing, "orders_of", pausing)
    answers = {}

    def scan():
        response = app.test_client().post("/api/v1/scans", headers=device["headers"],
                                          json={"scans": [last_unit]})
        answers["scan"] = (response.status_code, response.get_json())

    def cancel():
        answers["cancel"] = _cancel(supervisor, order_id)

    waited = _while_the_scan_waits(scan, cancel, paused, go, lambda _c: wait_for_lock_wait())
    assert waited, "the cancel never waited on the scan (the race was not set up)"

    status, body = answers["scan"]
    assert status == 200, body
    result, = body["results"]
    assert result["status"] in ("applied", "conflict"), result
    # Before: 500 for whichever PostgreSQL chose to undo (here the cancel, which
    # waited first). Now that one is told it changed meanwhile, and trying again works.
    assert answers["cancel"] in (302, 409)
    if answers["cancel"] == 409:
        assert db.session.get(Order, order_id).status != "cancelled"
        assert _cancel(supervisor, order_id) == 302
    db.session.expire_all()

    # The books: the scan stored once; the unit moved at most once; the order where
    # one of the two left it, and the list not left in progress with its order gone.
    stored = db.session.scalars(select(ScanRecord.status).where(
        ScanRecord.scan_uuid == last_unit["id"])).all()
    assert stored == [result["status"]]
    moves = db.session.scalar(select(func.count()).select_from(StockMovement).where(
        StockMovement.source == f"pick-task:{task_id}"))
    task = db.session.get(PickTask, task_id)
    assert db.session.get(Order, order_id).status == "cancelled"
    if result["status"] == "applied":
        assert task.status == "done" and moves == 1
        assert db.session.get(PickList, list_id).status == "done"
    else:
        assert task.status == "cancelled" and moves == 0
    # Every unit of the order in the cart goes back to stock, this last one included.
    tasks = db.session.scalars(select(PickTask).where(PickTask.order_id == order_id)).all()
    assert sum(t.quantity for t in tasks if t.kind == "putback") == sum(
        t.picked_qty for t in tasks if t.kind == "pick")


def _while_the_scan_waits(scan, cancel, paused, go, wait):
    """Start the scan (thread "scan") until it pauses (`paused`), start the cancel, run
    `wait(cancel's thread)`, then let the scan go on (`go`); return what wait did."""
    db.session.commit()
    scanning = threading.Thread(target=scan, name="scan")
    scanning.start()
    assert paused.wait(30), "the scan never reached its pause"
    cancelling = threading.Thread(target=cancel, name="cancel")
    cancelling.start()
    waited = wait(cancelling)
    go.set()
    scanning.join(60)
    cancelling.join(60)
    return waited


def _supervisor(app):
    """A test client signed in as a supervisor (who cancels orders)."""
    from webapp.accounts.services import create_user
    create_user("race-supervisor", "pw-123456", ["supervisor"])
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"username": "race-supervisor",
                                       "password": "pw-123456"}).status_code == 302
    return client


def _cancel(client, order_id):
    """The supervisor confirms the order's cancel; the response's status code."""
    return client.post(f"/orders/{order_id}/cancel",
                       data={"confirm": "yes", "note": "customer called"}).status_code


def _walk_the_rest(pick_list, picker):
    """Walk every task left on the list (put-backs included) to its end."""
    while (task := picking.current_task(pick_list)) is not None:
        if not task.location_confirmed:
            picking.scan(pick_list.id, picker.id, task.location.code)
        for _ in range(task.quantity - task.picked_qty):
            picking.scan(pick_list.id, picker.id, _barcode(task))
        db.session.commit()


@pytest.mark.parametrize("path", ["synced", "screen"])
def test_a_list_closing_while_a_cancel_adds_its_putbacks(on_postgres, device, scans,
                                                          monkeypatch, path):
    """The last scan of a list found nothing left to walk; before it closed the list, a
    cancel of another order of the list (all its units in the cart) added put-backs to
    it and committed. Before: the list closed 'done' with the put-backs on it, so nobody
    walked the cancelled units back and they stayed in the packing area on the books."""
    app, pick_list, picker = on_postgres["app"], on_postgres["list"], on_postgres["picker"]
    task = _all_but_the_last_unit(pick_list, picker)
    others = {t.order_id for t in pick_list.tasks} - {task.order_id}
    assert others, "the demo list picks for more than one order"
    cancelled_id, list_id, task_id = min(others), pick_list.id, task.id
    code, supervisor = _barcode(task), _supervisor(app)
    last_unit, picker_id, finishing_order = scans.make(task, code), picker.id, task.order_id

    paused, go = threading.Event(), threading.Event()
    current = picking.current_task

    def pausing(a_list):  # the scan saw nothing left: hold it there
        found = current(a_list)
        if found is None and threading.current_thread().name == "scan" and not go.is_set():
            paused.set()
            go.wait(30)
        return found

    monkeypatch.setattr(picking, "current_task", pausing)
    answers = {}

    def scan():
        if path == "synced":
            response = app.test_client().post("/api/v1/scans", headers=device["headers"],
                                              json={"scans": [last_unit]})
            answers["scan"] = response.get_json()["results"][0]["status"]
            return
        with app.app_context():
            answers["scan"] = scan_now.screen_scan(list_id, picker_id, code, 1).ok
            db.session.commit()
            db.session.remove()

    def cancel():
        answers["cancel"] = _cancel(supervisor, cancelled_id)

    _while_the_scan_waits(scan, cancel, paused, go, lambda cancelling: cancelling.join(20))
    assert answers.get("cancel") == 302, "the cancel did not go through while the scan waited"
    assert answers["scan"] in ("applied", True)

    db.session.expire_all()
    pick_list = db.session.get(PickList, list_id)
    assert db.session.get(PickTask, task_id).status == "done"
    assert pick_list.status == "in_progress"  # before: done, with put-backs on it
    left = picking.current_task(pick_list)
    assert left is not None and left.kind == "putback" and left.order_id == cancelled_id
    # The picker walks the put-backs; then the list closes and its other orders move on.
    _walk_the_rest(pick_list, picker)
    db.session.expire_all()
    assert db.session.get(PickList, list_id).status == "done"
    assert db.session.get(Order, cancelled_id).status == "cancelled"
    assert db.session.get(Order, finishing_order).status in ("picked", "short")
    pending = db.session.scalar(select(func.count()).select_from(PickTask).where(
        PickTask.pick_list_id == list_id, PickTask.status == "pending"))
    assert pending == 0
