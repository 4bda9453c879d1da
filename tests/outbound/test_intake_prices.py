"""Order lines' optional unit price (单价): kept in cents from JSON, the API and CSV; a bad
price holds the order with the line named (never a 500), a supervisor fixes it."""
import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from outbound_support import order_payload, stocked_skus
from webapp.extensions import db
from webapp.orders import services
from webapp.orders.intake import intake
from webapp.orders.messages import translate, understood
from webapp.orders.models import Order, OrderException


def priced(number, prices):
    """An order payload with one line per price."""
    skus = stocked_skus(len(prices))
    payload = order_payload(number, [(sku, 1) for sku in skus])
    for line, price in zip(payload["lines"], prices):
        if price is not ...:
            line["unit_price"] = price
    return payload


def test_good_prices_are_kept_in_cents(warehouse):
    result = intake(priced("P1", ["129.00", 59.9, 0, " 7 ", "", None, ...]))
    db.session.commit()
    assert result.outcome == "created", result.problems
    order = db.session.get(Order, result.order_id)
    assert [line.unit_price_cents for line in order.lines] == [12900, 5990, 0, 700, None,
                                                               None, None]


@pytest.mark.parametrize("price", ["-1", -0.5, "12.345", 0.1 + 0.2, "1000000.01", 10**12,
                                   "1e3", "abc", "¥12", "１２", True, "nan", "12." + "9" * 90])
def test_a_bad_price_holds_the_order_naming_the_line(warehouse, price):
    result = intake(priced(f"P-{abs(hash(str(price))) % 10**9}", ["10.00", price]))
    db.session.commit()
    assert result.outcome == "held"
    (exception,) = db.session.scalars(select(OrderException).where(
        OrderException.order_id == result.order_id)).all()
    assert exception.kind == "bad_price" and exception.message.startswith("line 2: unit price")
    assert len(exception.message) < 200 and understood(exception.message)
    order = db.session.get(Order, result.order_id)
    assert order.status == "on_hold"
    # Nothing lost: the line is kept, its price empty until the supervisor fixes it.
    assert [line.unit_price_cents for line in order.lines] == [1000, None]


def test_fixing_a_bad_price_releases_the_order_and_keeps_the_good_one(warehouse, user_id):
    payload = priced("P-FIX", ["10.00", "-3"])
    result = intake(payload)
    db.session.commit()
    skus = [line["sku"] for line in payload["lines"]]
    form = MultiDict([(name, value) for name, value in payload["address"].items()]
                     + [("carrier", "builtin"), ("sku", skus[0]), ("quantity", "1"),
                        ("unit_price", "10.00"), ("sku", skus[1]), ("quantity", "1"),
                        ("unit_price", "3.50")])
    assert services.fix_and_release(result.order_id, form, user_id("supervisor")) == []
    db.session.commit()
    order = db.session.get(Order, result.order_id)
    assert order.status == "new"
    assert [line.unit_price_cents for line in order.lines] == [1000, 350]


def test_bad_price_message_is_translated(warehouse, app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        text = translate("line 2: unit price '-1' is not an amount from 0 to 1000000.00 "
                         "with at most two decimals")
    assert "单价" in text and "'-1'" in text


@pytest.fixture
def supervisor(sqlite_warehouse, sign_in):
    """A client signed in as the demo supervisor."""
    return sign_in(sqlite_warehouse.test_client(), "supervisor")


def test_api_takes_prices_and_holds_a_bad_one(supervisor):
    orders = [priced("API-P1", ["129.00"]), priced("API-P2", [-5]), priced("API-P3", ["abc"]),
              priced("API-P4", [1e300]), priced("API-P5", [True])]
    response = supervisor.post("/api/v1/orders", json={"orders": orders})
    assert response.status_code == 201, response.get_data(as_text=True)
    results = {r["order_no"]: r for r in response.get_json()["results"]}
    assert [results[f"API-P{n}"]["outcome"] for n in range(1, 6)] == [
        "created", "held", "held", "held", "rejected"]  # a boolean breaks the document
    assert all("unit price" in results[f"API-P{n}"]["problems"][0] for n in (2, 3, 4))
    order = db.session.get(Order, results["API-P1"]["order_id"])
    assert order.lines[0].unit_price_cents == 12900


def test_csv_import_reads_the_unit_price_column(supervisor):
    sku_a, sku_b = stocked_skus(2)
    content = ("channel,order_no,sku,quantity,unit_price,name,phone,line1,city,province\n"
               f"tmall,C1,{sku_a},2,129.00,Wang,139,1 Rd,Hangzhou,Zhejiang\n"
               f"tmall,C1,{sku_b},1,,Wang,139,1 Rd,Hangzhou,Zhejiang\n"
               f"tmall,C2,{sku_a},1,12.345,Wang,139,1 Rd,Hangzhou,Zhejiang\n")
    response = supervisor.post("/orders/import", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(content.encode()), "o.csv")})
    assert response.status_code == 207
    orders = {o.channel_order_no: o for o in db.session.scalars(select(Order))}
    assert [line.unit_price_cents for line in orders["C1"].lines] == [12900, None]
    assert orders["C1"].status == "new" and orders["C2"].status == "on_hold"
    assert "&#39;12.345&#39;" in response.get_data(as_text=True)
