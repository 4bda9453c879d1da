"""After inspection: refund recorded, exchange as a real order that waves allocate,
reject with a reason, close; each on the timeline."""
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from returns_support import code_of, order_in, stocked
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.picking.models import Wave
from webapp.picking.waves import run_wave
from webapp.returns import dock, resolution, services


def inspected(user_id, resolution_kind, replacement=None, units=2):
    """A return of `units` of one product, received and inspected (all passed)."""
    p1, p2 = stocked(2)
    order = order_in([(p1.sku, units)], user_id=user_id)
    line_id = order.lines[0].id
    rma = services.open_return(order.id, user_id("customer_service"), {line_id: units},
                               reason="not_as_described", resolution=resolution_kind,
                               replacements={line_id: replacement(p2) if replacement else ""})
    receiver = user_id("receiver")
    assert dock.scan(rma.id, receiver, code_of(p1.id), units).ok
    dock.finish(rma.id, receiver)
    db.session.commit()
    return rma, order, p1, p2


def test_refund_records_amount_and_reference(warehouse, user_id):
    rma, _order, _p1, _p2 = inspected(user_id, "refund")
    cs = user_id("customer_service")
    for amount, reference, message in (("abc", "R1", "number like"), ("-1", "R1", "number"),
                                       ("1e20", "R1", "number"), ("nan", "R1", "number"),
                                       ("10", "", "reference")):
        with pytest.raises(services.ReturnError, match=message):
            resolution.refund(rma.id, cs, amount, reference)
    resolution.refund(rma.id, cs, " 129.5 ", "ALIPAY-778")
    db.session.commit()
    db.session.expire_all()
    assert rma.refund_amount == Decimal("129.50") and rma.refund_reference == "ALIPAY-778"
    assert rma.status == "refunded" and rma.events[-1].user_id == cs
    with pytest.raises(services.ReturnError):
        resolution.exchange(rma.id, cs)
    resolution.close(rma.id, cs)
    db.session.commit()
    assert rma.status == "closed" and rma.closed_at is not None
    assert [e.to_status for e in rma.events] == ["requested", "received", "inspected",
                                                 "refunded", "closed"]


def test_exchange_creates_a_real_order_that_the_next_wave_allocates(warehouse, user_id):
    rma, order, _p1, p2 = inspected(user_id, "exchange", replacement=lambda p: p.sku)
    cs = user_id("customer_service")
    resolution.exchange(rma.id, cs)
    db.session.commit()
    replacement = db.session.get(Order, rma.replacement_order_id)
    assert rma.status == "exchanged"
    assert replacement.status == "new" and replacement.channel == order.channel
    assert replacement.channel_order_no == f"{order.channel_order_no}-{rma.number}"
    assert replacement.address() == order.address()
    assert [(line.product_id, line.quantity) for line in replacement.lines] == [(p2.id, 2)]
    wave = Wave(params_json=json.dumps({"max_orders": 5, "max_lines": 20}))
    db.session.add(wave)
    db.session.commit()
    run_wave(wave)
    db.session.commit()
    assert db.session.get(Order, replacement.id).status == "allocated"
    with pytest.raises(services.ReturnError, match="not inspected"):
        resolution.exchange(rma.id, cs)  # a second click makes no second order
    assert db.session.scalar(select(db.func.count(Order.id)).where(
        Order.channel_order_no.like(f"%{rma.number}"))) == 1


def test_reject_needs_a_reason_and_closing_needs_a_decision(warehouse, user_id):
    rma, _order, _p1, _p2 = inspected(user_id, "refund")
    cs = user_id("customer_service")
    with pytest.raises(services.ReturnError, match="closed|cannot go"):
        resolution.close(rma.id, cs)
    with pytest.raises(services.ReturnError, match="why"):
        resolution.reject(rma.id, cs, "  ")
    resolution.reject(rma.id, cs, "worn, outside the return window")
    resolution.close(rma.id, cs)
    db.session.commit()
    assert rma.status == "closed" and rma.decision_note.startswith("worn")
    assert rma.events[-2].note == "worn, outside the return window"
