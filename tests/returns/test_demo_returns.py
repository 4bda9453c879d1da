"""The demo `make run` seeds: shipped orders with tracking numbers and two returns in
different states, the rest of the demo as it was."""
from decimal import Decimal

from sqlalchemy import func, select

from returns_support import tracking_of
from webapp import demo
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.picking.models import PickTask
from webapp.receiving.models import PutawayRun
from webapp.returns import services
from webapp.returns.models import ReturnRequest


def test_demo_has_shipped_orders_and_returns_in_two_states(any_app):
    counts = demo.seed(products=40, returns=True)
    db.session.commit()
    assert counts["returns"] == 2
    shipped = db.session.scalars(select(Order).where(Order.status == "handed_over")).all()
    assert len(shipped) == 3 and all(tracking_of(order) for order in shipped)
    states = sorted(db.session.scalars(select(ReturnRequest.status)))
    assert states == ["awaiting_arrival", "inspected"]
    # Demo orders carry prices, so the inspected refund shows what is due: the unit that
    # passed ("not as described": the failed one is not paid).
    assert all(line.unit_price_cents for order in shipped for line in order.lines)
    inspected = db.session.scalar(select(ReturnRequest).where(ReturnRequest.status == "inspected"))
    (passed,) = [line for line in inspected.lines if line.passed_qty]
    assert inspected.refund_due == Decimal(demo.demo_price(passed.product)) > 0
    run = db.session.scalar(select(PutawayRun).where(PutawayRun.source_kind == "return"))
    assert run.status == "finished" and len(run.tasks) == 1
    (fresh,) = services.search_orders("13800138003")
    assert services.refusal(fresh) is None
    # The demo's own orders are planned as without returns (23 of 40 products: one short).
    planned = db.session.scalar(select(func.count(func.distinct(PickTask.order_id))).where(
        PickTask.order_id.not_in([o.id for o in shipped])))
    assert planned == 23
    assert ledger_mismatches() == []
