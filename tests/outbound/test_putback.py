"""A packed order cancelled before handoff: its units go back to bins by the put-away
walk (the cancelled order as the source), through the ledger, and the next wave can
allocate them."""
import json

from sqlalchemy import func, select

from outbound_support import (barcode_of, free_in_storage, level, order_payload,
                              packed_order_of_all)
from webapp.catalog.models import Location, Product
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.orders.models import Order, OrderException
from webapp.orders.services import cancel_order
from webapp.picking.models import Reservation, Wave
from webapp.picking.waves import run_wave
from webapp.queues import queue
from webapp.receiving import putaway, walk
from webapp.receiving.jobs import plan_putaway
from webapp.receiving.models import PutawayRun

def walk_run(run_id, receiver_id):
    """Walk every task of a put-away run: the suggested bin, then the item."""
    run = db.session.get(PutawayRun, run_id)
    while (task := walk.current_task(run)) is not None:
        assert walk.scan(run.id, receiver_id, task.suggested.code).ok
        assert walk.scan(run.id, receiver_id, barcode_of(task.product_id)).ok
    db.session.commit()


def test_a_packed_order_cancelled_is_put_back_and_the_next_wave_allocates_it(
        warehouse, make_planned, user_id):
    order_id, product_id, units = packed_order_of_all(make_planned, user_id)
    dock = db.session.scalar(select(Location.id).where(Location.type == "shipping")
                             .order_by(Location.id))
    assert level(product_id, dock)[0] == units

    cancel_order(order_id, user_id("supervisor"), "customer changed their mind")
    db.session.commit()
    run = putaway.run_for("order", order_id)
    assert run is not None and run.status == "queued"
    assert run.requested_by_id == user_id("supervisor")
    (told,) = db.session.scalars(select(OrderException).where(
        OrderException.order_id == order_id, OrderException.kind == "cancelled_packed")).all()
    assert told.resolved_at is None and "put-away" in told.message

    plan_putaway(run.id)
    run = db.session.get(PutawayRun, run.id)
    assert run.status == "finished"
    assert sum(t.quantity for t in run.tasks) == units
    assert {t.from_location_id for t in run.tasks} == {dock}
    assert putaway.source_label(run) == db.session.get(Order, order_id).number
    walk_run(run.id, user_id("receiver"))

    assert level(product_id, dock)[0] == 0
    assert free_in_storage(product_id) == units
    assert ledger_mismatches() == []
    db.session.refresh(told)
    assert told.resolved_at is not None and told.resolved_by_id == user_id("receiver")

    # The next step: a new order for the same units is allocated from the bins.
    sku = db.session.get(Product, product_id).sku
    again = intake(order_payload(2100, [(sku, units)])).order_id
    db.session.add(Wave(params_json=json.dumps({"max_orders": 10, "max_lines": 100})))
    db.session.commit()
    run_wave(db.session.scalar(select(Wave).order_by(Wave.id.desc()).limit(1)))
    db.session.commit()
    assert db.session.get(Order, again).status == "allocated"
    assert db.session.scalar(select(func.sum(Reservation.quantity)).where(
        Reservation.product_id == product_id, Reservation.active.is_(True))) == units


def test_cancel_on_screen_plans_the_put_back_in_the_worker_for_the_receiver(
        sqlite_warehouse, make_planned, user_id, sign_in, sqlite_url, run_worker):
    order_id, product_id, units = packed_order_of_all(make_planned, user_id)
    queue("default").empty()
    supervisor = sign_in(sqlite_warehouse.test_client(), "supervisor")
    answer = supervisor.post(f"/orders/{order_id}/cancel", data={"confirm": "yes"})
    assert answer.status_code == 302
    run = putaway.run_for("order", order_id)
    assert run.job_id  # queued after the commit
    number, run_id = db.session.get(Order, order_id).number, run.id
    db.session.commit()
    db.session.close()

    run_worker(sqlite_url, "default")

    receiver = sign_in(sqlite_warehouse.test_client(), "receiver")
    today = receiver.get("/receiving").get_data(as_text=True)
    assert f"/putaway/{run_id}" in today and number in today
    page = receiver.get(f"/putaway/{run_id}").get_data(as_text=True)
    assert number in page and "data-task-id" in page
    run = db.session.get(PutawayRun, run_id)
    while (task := walk.current_task(run)) is not None:
        for code in (task.suggested.code, barcode_of(task.product_id)):
            fragment = receiver.post(f"/putaway/{run.id}/scan", data={"code": code})
            assert 'data-feedback="ok"' in fragment.get_data(as_text=True)
        db.session.expire_all()
    assert free_in_storage(product_id) == units
    assert ledger_mismatches() == []
