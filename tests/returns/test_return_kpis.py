"""Returns by reason, by product and by age: the numbers the KPI charts draw."""
import re
from datetime import timedelta

from sqlalchemy import update

from returns_support import order_in, stocked
from webapp.extensions import db
from webapp.returns import kpis, resolution, services
from webapp.returns.models import ReturnRequest
from webapp.timeutil import utcnow


def two_returns(user_id, second, second_reason, ordered_p2=1):
    """An order of two products; a return of 2 of the first for a defect, opened 5 days
    ago, and one of `second` {product index: units} today for `second_reason`.
    Returns (the old return, cs id, p1, p2)."""
    p1, p2 = stocked(2)
    order = order_in([(p1.sku, 3), (p2.sku, ordered_p2)], user_id=user_id)
    cs = user_id("customer_service")
    lines = {line.sku: line.id for line in order.lines}
    old = services.open_return(order.id, cs, {lines[p1.sku]: 2}, reason="defective",
                               resolution="refund")
    products = (p1, p2)
    services.open_return(order.id, cs, {lines[products[i].sku]: n for i, n in second.items()},
                         reason=second_reason, resolution="exchange")
    db.session.execute(update(ReturnRequest).where(ReturnRequest.id == old.id)
                       .values(created_at=utcnow() - timedelta(days=5)))
    db.session.commit()
    return old, cs, p1, p2


def test_returns_by_reason_product_and_age(warehouse, user_id):
    old, cs, p1, p2 = two_returns(user_id, {0: 1, 1: 1}, "defective")
    assert kpis.by_reason() == [("defective", 2, 4)]
    assert kpis.by_reason(since=utcnow() - timedelta(days=1)) == [("defective", 1, 2)]
    assert kpis.by_product() == [(p1.sku, 3, 0), (p2.sku, 1, 0)]
    assert kpis.by_age() == {"<1d": 1, "1-3d": 0, "3-7d": 1, ">7d": 0}
    resolution.reject(old.id, cs, "no")
    resolution.close(old.id, cs)
    db.session.commit()
    assert kpis.by_age()["3-7d"] == 0


def test_the_console_charts_returns_by_reason_with_its_table_and_csv(warehouse, any_app, user_id,
                                                                    sign_in):
    two_returns(user_id, {1: 2}, "wrong_item", ordered_p2=2)
    client = sign_in(any_app.test_client(), "supervisor")
    week = client.get("/console/kpis/chart/returns?period=7d").get_data(as_text=True)
    assert "Returns by reason" in week and "<svg" in week
    assert week.index("Defective") > 0 and week.index("Wrong item") > 0
    chart = week[week.index("<svg"):week.index("</svg>")]
    labels = re.findall(r'text-anchor="end">([^<]*)<', chart)
    assert labels and all(len(label) <= 12 for label in labels), labels  # fits its 94 px
    today = client.get("/console/kpis/chart/returns?period=today").get_data(as_text=True)
    assert "Wrong item" in today and "Defective" not in today
    csv = client.get("/console/kpis/returns.csv?period=7d").get_data(as_text=True)
    assert "Defective,1,2" in csv and "Wrong item sent,1,2" in csv
    assert "/console/kpis/chart/returns" in client.get("/console/kpis").get_data(as_text=True)
    assert sign_in(any_app.test_client(), "customer_service").get(
        "/console/kpis/chart/returns").status_code == 403
