"""Put-away scans of one run at the same instant (PostgreSQL): a task's stock moves once,
and the run's last task ends its receipt.

A double Enter on the handheld, two receivers walking one run, or a walk synced while
the screen walks: both requests read the task pending before either commits. Both
then moved its units from the receiving area to the bin (another receipt's units
waiting there paid for the second move; without them, the second was a 500), and of
two receivers ending the run's last two tasks each saw the other's still pending, so
the receipt never became put away. Scans of a run now meet on the run's row lock.
"""
from sqlalchemy import func, select

from racing import race
from receiving_support import SIGNED, ean, products
from webapp.catalog.models import Location, StockMovement
from webapp.catalog.stock import ledger_mismatches, on_hand
from webapp.extensions import db
from webapp.receiving import putaway, services, walk
from webapp.receiving.models import PutawayTask, Receipt


def _planned(receipt, receiver, lines, reference):
    """A receipt received in full, closed and planned: (receipt id, run id)."""
    receipt_id = receipt([(p.sku, qty) for p, qty in lines], reference=reference)
    for product, qty in lines:
        assert services.scan(receipt_id, receiver, ean(product), qty).ok
    run = services.close(receipt_id, receiver, "Li Lei", "ACME", **SIGNED)
    putaway.plan(run)
    db.session.commit()
    return receipt_id, run.id


def _putaway_moves():
    return db.session.scalar(select(func.count()).select_from(StockMovement).where(
        StockMovement.reason == "putaway"))


def test_a_double_enter_puts_a_task_away_once(pg_warehouse, receipt, user_id):
    (product,) = products(1)
    receiver, code, product_id = user_id("receiver"), ean(product), product.id
    _receipt_id, run_id = _planned(receipt, receiver, [(product, 3)], "PO-1")
    # Another delivery of the same product waits in the receiving area, not put away yet.
    other = receipt([(product.sku, 5)], reference="PO-2")
    assert services.scan(other, receiver, code, 5).ok
    task = db.session.scalar(select(PutawayTask).where(PutawayTask.run_id == run_id))
    assert walk.scan(run_id, receiver, task.suggested.code).ok
    db.session.commit()
    dock = db.session.scalar(select(Location.id).where(Location.code == "RCV-01"))

    def item():
        return walk.scan(run_id, receiver, code)

    first, second, waited = race(pg_warehouse, item, item)
    assert waited
    assert first.ok
    assert isinstance(second, walk.TaskGone), second  # before: moved the units again
    assert _putaway_moves() == 1
    assert on_hand(product_id, dock) == 5  # the other delivery's units are still there
    assert ledger_mismatches() == []


def test_the_last_two_tasks_done_at_once_end_the_receipt(pg_warehouse, receipt, user_id):
    """Two receivers (walking offline, so each names its task) end the run's last two
    tasks at the same instant."""
    one, two = products(2)
    receiver, supervisor = user_id("receiver"), user_id("supervisor")
    receipt_id, run_id = _planned(receipt, receiver, [(one, 2), (two, 2)], "PO-1")
    tasks = db.session.scalars(select(PutawayTask).where(PutawayTask.run_id == run_id)
                               .order_by(PutawayTask.id)).all()
    assert len(tasks) == 2
    for task in tasks:
        assert walk.scan(run_id, receiver, task.suggested.code, task_id=task.id).ok
    db.session.commit()
    ends = [(person, ean(task.product), task.id)
            for person, task in zip((receiver, supervisor), tasks)]

    def end(person, code, task_id):
        return lambda: walk.scan(run_id, person, code, task_id=task_id)

    first, second, waited = race(pg_warehouse, end(*ends[0]), end(*ends[1]))
    assert first.ok and second.ok
    assert db.session.get(Receipt, receipt_id).status == "put_away"  # before: received
    assert waited
    assert _putaway_moves() == 2
    assert ledger_mismatches() == []
