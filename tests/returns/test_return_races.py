"""Two people acting on one return at the same instant (PostgreSQL): each dock scan is
judged on what the other wrote, and a double click on refund records one refund.

Both requests read the return before either committed. Two scans of a line's last
unit were both taken as announced (each saw room for it), each moved its unit into the
returns area and wrote the line's count from the figure it had read: the books held
one unit more than the line, which the refund and the put-away go by. Two refunds
recorded at once (a double click, two agents on one customer's call) were both
taken: two 'refunded' events, the second amount and reference written over the
first's unseen. Every change of a return now takes the return's row lock first.
"""
from sqlalchemy import select

from racing import race
from returns_support import code_of, order_in, stocked
from webapp.catalog.stock import ledger_mismatches, on_hand
from webapp.extensions import db
from webapp.returns import dock, resolution, services
from webapp.returns.models import ChannelNotice, ReturnRequest


def _return_of(user_id, units):
    """A return of `units` of one product, its label sent: (return id, product id)."""
    (product,) = stocked(1)
    order = order_in([(product.sku, units)], user_id=user_id)
    rma = services.open_return(order.id, user_id("customer_service"),
                               {order.lines[0].id: units}, reason="damaged_in_transit",
                               resolution="refund")
    services.label_sent(rma.id, user_id("customer_service"))
    db.session.commit()
    return rma.id, product.id


def test_two_dock_scans_of_a_lines_last_unit(pg_warehouse, user_id):
    return_id, product_id = _return_of(user_id, 2)
    receiver, code = user_id("receiver"), code_of(product_id)
    assert dock.scan(return_id, receiver, code).ok
    db.session.commit()
    area = dock.returns_area()
    before = on_hand(product_id, area)

    def last_unit():
        return dock.scan(return_id, receiver, code)

    first, second, waited = race(pg_warehouse, last_unit, last_unit)
    assert waited
    assert first.ok
    assert not second.ok and second.needs_reason  # before: taken as announced
    line, = db.session.get(ReturnRequest, return_id).lines
    assert (line.received_qty, line.passed_qty) == (2, 2)
    assert on_hand(product_id, area) == before + 1  # before: + 2, the line saying 2
    assert ledger_mismatches() == []


def test_two_refunds_recorded_at_once(pg_warehouse, user_id):
    return_id, product_id = _return_of(user_id, 1)
    receiver, cs = user_id("receiver"), user_id("customer_service")
    assert dock.scan(return_id, receiver, code_of(product_id)).ok
    dock.finish(return_id, receiver)
    db.session.commit()

    def refund(amount, reference):
        return lambda: resolution.refund(return_id, cs, amount, reference)

    first, second, waited = race(pg_warehouse, refund("59.00", "ALIPAY-1"),
                                 refund("60.00", "ALIPAY-2"))
    assert waited
    assert isinstance(first, ReturnRequest)
    assert isinstance(second, services.ReturnError), second  # before: taken as well
    assert "refunded" in str(second)
    rma = db.session.get(ReturnRequest, return_id)
    assert (rma.status, str(rma.refund_amount), rma.refund_reference) == (
        "refunded", "59.00", "ALIPAY-1")
    assert [e.to_status for e in rma.events].count("refunded") == 1
    assert len(db.session.scalars(select(ChannelNotice)).all()) == 1
