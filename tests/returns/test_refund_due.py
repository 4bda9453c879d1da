"""An inspected refund computes what is due: accepted units × the order line's unit price,
shown on the return and in customer service's list, pre-filled in the refund form; no
price on the order means the amount is asked for, never guessed."""
from decimal import Decimal

import pytest

from returns_support import code_of, order_in, stocked
from webapp.extensions import db
from webapp.returns import dock, resolution, services


def returned(user_id, reason, prices, outcomes, resolution_kind="refund"):
    """A return of two products (2 units each) with the given prices, scanned with the
    given outcomes per product ([pass/fail per unit]), finished."""
    p1, p2 = stocked(2)
    order = order_in([(p1.sku, 2, prices[0]), (p2.sku, 2, prices[1])], user_id=user_id)
    rma = services.open_return(order.id, user_id("customer_service"),
                               {line.id: 2 for line in order.lines}, reason=reason,
                               resolution=resolution_kind)
    receiver = user_id("receiver")
    for product, units in zip((p1, p2), outcomes):
        for outcome in units:
            assert dock.scan(rma.id, receiver, code_of(product.id), outcome=outcome,
                             reason=None if outcome == "pass" else "damaged").ok
    dock.finish(rma.id, receiver)
    db.session.commit()
    db.session.expire_all()
    return rma


@pytest.mark.parametrize("reason, due", [("changed_mind", "179.50"),   # passed units only
                                         ("defective", "308.50")])    # every unit back
def test_due_of_a_mixed_pass_fail_return(warehouse, user_id, reason, due):
    # 129.00: one passes, one fails; 50.50: one passes, the second never came back.
    rma = returned(user_id, reason, ["129.00", "50.50"], [["pass", "fail"], ["pass"]])
    assert rma.status == "inspected" and rma.refund_due == Decimal(due)
    # Customer service may pay another amount: it is recorded as given, the due stays.
    resolution.refund(rma.id, user_id("customer_service"), "100", "ALIPAY-1")
    db.session.commit()
    assert rma.refund_amount == Decimal("100.00") and rma.refund_due == Decimal(due)


def test_no_price_on_a_line_with_accepted_units_means_no_due(warehouse, user_id):
    rma = returned(user_id, "changed_mind", ["129.00", None], [["pass"], ["pass"]])
    assert rma.status == "inspected" and rma.refund_due is None


def test_unpriced_line_with_nothing_accepted_does_not_block(warehouse, user_id):
    rma = returned(user_id, "changed_mind", ["129.00", None], [["pass"], ["fail"]])
    assert rma.refund_due == Decimal("129.00")


def test_an_exchange_has_no_due(warehouse, user_id):
    rma = returned(user_id, "changed_mind", ["129.00", "1"], [["pass"], ["pass"]],
                   resolution_kind="exchange")
    assert rma.status == "inspected" and rma.refund_due is None


def test_return_page_and_list_show_the_due_and_the_form_is_pre_filled(sqlite_warehouse,
                                                                      user_id, sign_in):
    priced = returned(user_id, "changed_mind", ["129.00", "20.00"], [["pass", "fail"], []])
    client = sign_in(sqlite_warehouse.test_client(), "customer_service")
    page = client.get(f"/returns/{priced.id}").get_data(as_text=True)
    assert "Refund due ¥129.00" in page
    assert 'name="amount" inputmode="decimal" required value="129.00"' in page
    listing = client.get("/returns").get_data(as_text=True)
    assert f'data-return="{priced.number}"' in listing and "Refund due ¥129.00" in listing
    zh = client.get(f"/returns/{priced.id}", headers={"Accept-Language": "zh-CN"})
    assert "应退款 ¥129.00" in zh.get_data(as_text=True)
    # Submitting the pre-filled form records the due as the refund.
    response = client.post(f"/returns/{priced.id}/refund",
                           data={"amount": "129.00", "reference": "TB-9"})
    assert response.status_code == 302
    db.session.expire_all()
    assert priced.status == "refunded" and priced.refund_amount == Decimal("129.00")


def test_no_price_page_asks_for_the_amount(sqlite_warehouse, user_id, sign_in):
    unpriced = returned(user_id, "changed_mind", [None, None], [["pass"], []])
    client = sign_in(sqlite_warehouse.test_client(), "customer_service")
    page = client.get(f"/returns/{unpriced.id}").get_data(as_text=True)
    assert "No price on the order: type the amount" in page and "Refund due" not in page
    assert 'name="amount" inputmode="decimal" required value=""' in page
