"""At the dock: units scanned against the return, unexpected items need a reason,
inspection through receiving's service (ledger lines naming the return), put-away
through receiving's walk, and the next wave allocating the units put back."""
import json

import pytest
from sqlalchemy import select

from returns_support import JPEG, code_of, order_in, stocked
from webapp.catalog.models import Location, StockMovement
from webapp.catalog.stock import ledger_mismatches, on_hand
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.orders.models import Order
from webapp.picking.models import PickTask, Wave
from webapp.picking.waves import run_wave
from webapp.receiving import putaway, walk
from webapp.receiving.inspection import inspections_of
from webapp.returns import dock, services
from webapp.returns.models import ReturnRequest


@pytest.fixture
def rma(warehouse, user_id):
    """A return of 2 units of one product and 1 of another, its label sent."""
    p1, p2 = stocked(2)
    order = order_in([(p1.sku, 2), (p2.sku, 1)], user_id=user_id)
    lines = {line.sku: line.id for line in order.lines}
    cs = user_id("customer_service")
    row = services.open_return(order.id, cs, {lines[p1.sku]: 2, lines[p2.sku]: 1},
                               reason="damaged_in_transit", resolution="refund")
    services.label_sent(row.id, cs)
    db.session.commit()
    return row, p1, p2


def loc(code):
    """A location by its code."""
    return db.session.scalar(select(Location).where(Location.code == code))


def test_pass_and_fail_move_stock_through_the_ledger_naming_the_return(rma, user_id):
    row, p1, _p2 = rma
    receiver = user_id("receiver")
    passed = dock.scan(row.id, receiver, code_of(p1.id))
    failed = dock.scan(row.id, receiver, p1.sku, outcome="fail", reason="damaged",
                       note="crushed box", photos=[(JPEG, "image/jpeg")])
    db.session.commit()
    assert passed.ok and failed.ok, (passed.message, failed.message)
    assert row.status == "received" and row.events[-1].user_id == receiver
    line = row.lines[0]
    assert (line.received_qty, line.passed_qty, line.failed_qty) == (2, 1, 1)
    moved = db.session.scalars(select(StockMovement).where(
        StockMovement.source == f"return-line:{line.id}").order_by(StockMovement.id)).all()
    assert [(m.reason, m.to_location_id, m.from_location_id, m.quantity) for m in moved] == [
        ("return", loc("RET-01").id, None, 1), ("defective", loc("DEF-01").id, None, 1)]
    assert on_hand(p1.id, loc("RET-01").id) == 1 and on_hand(p1.id, loc("DEF-01").id) == 1
    fail = [i for i in inspections_of("return", row.id) if i.outcome == "fail"][0]
    assert (fail.reason, fail.note, len(fail.photos)) == ("damaged", "crushed box", 1)
    assert ledger_mismatches() == []


def test_unexpected_items_and_extra_units_need_a_reason(rma, user_id):
    row, p1, _p2 = rma
    receiver = user_id("receiver")
    (stranger,) = [p for p in stocked(4) if p.id not in {p1.id, _p2.id}][:1]
    asked = dock.scan(row.id, receiver, code_of(stranger.id))
    assert not asked.ok and asked.needs_reason and stranger.sku in asked.message
    assert dock.scan(row.id, receiver, code_of(p1.id), 2).ok
    extra = dock.scan(row.id, receiver, code_of(p1.id))
    assert extra.needs_reason
    taken = dock.scan(row.id, receiver, code_of(stranger.id), accept_note="was in the box")
    db.session.commit()
    assert taken.ok
    odd = [line for line in row.lines if line.unexpected]
    assert [(l.product_id, l.received_qty, l.accept_note) for l in odd] == [
        (stranger.id, 1, "was in the box")]
    assert dock.totals(row)["expected"] == 3  # unannounced units add nothing expected


def test_wrong_codes_and_quantities_are_refused_with_the_reason(rma, user_id):
    row, p1, _p2 = rma
    receiver = user_id("receiver")
    assert "location" in dock.scan(row.id, receiver, "A-01-01-1").message
    assert not dock.scan(row.id, receiver, "NOPE-123").ok
    assert "whole number" in dock.scan(row.id, receiver, code_of(p1.id), 0).message
    with pytest.raises(services.ReturnError, match="No such return"):
        dock.scan(999999, receiver, code_of(p1.id))


def test_finished_return_is_put_away_and_the_next_wave_allocates_it(rma, user_id):
    row, p1, p2 = rma
    receiver = user_id("receiver")
    assert dock.scan(row.id, receiver, code_of(p1.id), 2).ok
    assert dock.scan(row.id, receiver, code_of(p2.id), outcome="fail", reason="damaged").ok
    run = dock.finish(row.id, receiver)
    db.session.commit()
    assert row.status == "inspected"
    putaway.plan(run)
    db.session.commit()
    assert putaway.source_label(run) == row.number
    assert [(t.product_id, t.quantity, t.from_location.code) for t in run.tasks] == [
        (p1.id, 2, "RET-01")]
    task = run.tasks[0]
    assert walk.scan(run.id, receiver, task.suggested.code).ok
    assert walk.scan(run.id, receiver, code_of(p1.id)).ok
    db.session.commit()
    assert on_hand(p1.id, loc("RET-01").id) == 0
    assert row.events[-1].note == dock.PUT_AWAY_NOTE
    bin_id = task.location_id
    # Empty every other bin of the product: only the returned units can fill the order.
    from webapp.catalog.models import StockLevel
    from webapp.catalog.stock import move_stock
    for level in db.session.scalars(select(StockLevel).where(
            StockLevel.product_id == p1.id, StockLevel.location_id != bin_id,
            StockLevel.quantity > 0)).all():
        if level.location.type == "storage":
            move_stock(p1.id, level.quantity - level.reserved, reason="adjustment",
                       from_location_id=level.location_id, source="test")
    db.session.commit()
    free = on_hand(p1.id, bin_id)
    result = intake({"channel": "shop", "order_no": "NEXT-1",
                     "address": {"name": "A", "phone": "1", "line1": "x", "city": "c",
                                 "province": "p"},
                     "lines": [{"sku": p1.sku, "quantity": free}]})
    db.session.commit()
    wave = Wave(params_json=json.dumps({"max_orders": 5, "max_lines": 20}))
    db.session.add(wave)
    db.session.commit()
    run_wave(wave)
    db.session.commit()
    assert db.session.get(Order, result.order_id).status == "allocated"
    assert db.session.scalar(select(PickTask.location_id).where(
        PickTask.order_id == result.order_id)) == bin_id
    assert ledger_mismatches() == []


def test_finish_needs_inspected_units_and_a_closed_return_takes_nothing(rma, user_id):
    row, p1, _p2 = rma
    receiver = user_id("receiver")
    with pytest.raises(services.ReturnError):
        dock.finish(row.id, receiver)
    assert dock.scan(row.id, receiver, code_of(p1.id), outcome="fail", reason="damaged").ok
    assert dock.finish(row.id, receiver) is None  # nothing passed: nothing to put away
    with pytest.raises(services.ReturnError, match="nothing more is taken in"):
        dock.scan(row.id, receiver, code_of(p1.id))
    assert db.session.get(ReturnRequest, row.id).status == "inspected"
