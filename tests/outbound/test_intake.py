"""Order intake (订单接收与确认): validation, idempotency, holds, fix-and-release, CSV upload."""
import io
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from outbound_support import order_payload, stocked_skus
from webapp.extensions import db
from webapp.orders import services
from webapp.orders.intake import intake
from webapp.orders.models import Order, OrderEvent, OrderException, OrderLine


def count(model):
    """Rows of a model."""
    return db.session.scalar(select(func.count()).select_from(model))


def open_exceptions(order_id):
    """The unresolved exceptions of an order."""
    return db.session.scalars(select(OrderException).where(
        OrderException.order_id == order_id, OrderException.resolved_at.is_(None))
        .order_by(OrderException.id)).all()


def test_valid_order_is_created(warehouse):
    sku_a, sku_b = stocked_skus(2)
    result = intake(order_payload("A1", [(sku_a, 2), (sku_b, 1)], priority=3))
    db.session.commit()
    assert result.outcome == "created" and result.problems == []
    order = db.session.get(Order, result.order_id)
    assert order.status == "new" and order.number == "shop-A1" and order.priority == 3
    assert [(line.sku, line.quantity) for line in order.lines] == [(sku_a, 2), (sku_b, 1)]
    assert all(line.product_id for line in order.lines)
    assert order.ship_city == "Hangzhou" and order.ship_country == "CN"
    assert open_exceptions(order.id) == []


def test_same_channel_and_number_again_is_a_duplicate_and_changes_nothing(warehouse):
    sku_a, sku_b = stocked_skus(2)
    first = intake(order_payload("D1", [(sku_a, 2)]))
    db.session.commit()
    before = (count(Order), count(OrderLine), count(OrderEvent), count(OrderException))
    again = intake(order_payload("D1", [(sku_b, 9)], address={"name": "Someone else"}))
    db.session.commit()
    assert again.outcome == "duplicate" and again.order_id == first.order_id
    assert (count(Order), count(OrderLine), count(OrderEvent), count(OrderException)) == before
    order = db.session.get(Order, first.order_id)
    assert [(line.sku, line.quantity) for line in order.lines] == [(sku_a, 2)]
    assert order.ship_name == "Li Lei" and order.status == "new"
    # Another channel may use the same number: that is a different order.
    other = intake(order_payload("D1", [(sku_a, 1)], channel="jd"))
    assert other.outcome == "created" and other.order_id != first.order_id


def assert_held_with(result, kind, *words):
    """The order was stored on hold with exactly one open exception of `kind`."""
    assert result.outcome == "held", result
    order = db.session.get(Order, result.order_id)
    assert order is not None and order.status == "on_hold"
    exceptions = open_exceptions(order.id)
    assert [e.kind for e in exceptions] == [kind]
    for word in words:
        assert word in exceptions[0].message
    assert exceptions[0].message in result.problems
    event = order.events[-1]
    assert (event.from_status, event.to_status) == ("new", "on_hold")
    return order


def test_unknown_sku_holds_the_order(warehouse):
    (sku,) = stocked_skus(1)
    result = intake(order_payload("U1", [(sku, 1), ("NO-SUCH-SKU", 2)]))
    db.session.commit()
    order = assert_held_with(result, "unknown_sku", "NO-SUCH-SKU", "line 2")
    # Nothing is lost: both lines are kept, the unknown one without a product.
    assert [(line.sku, line.product_id is None) for line in order.lines] == [
        (sku, False), ("NO-SUCH-SKU", True)]


@pytest.mark.parametrize("quantity", [0, -1, "abc", 1.5, "1.5", "", None, True, "²",
                                      10**12])
def test_bad_quantity_holds_the_order(warehouse, quantity):
    (sku,) = stocked_skus(1)
    result = intake(order_payload(f"Q-{quantity!r}", [(sku, quantity)]))
    db.session.commit()
    order = assert_held_with(result, "bad_quantity", "line 1", "quantity")
    assert [(line.sku, line.quantity) for line in order.lines] == [(sku, 0)]


def test_order_without_lines_is_held(warehouse):
    result = intake(order_payload("L0", []))
    db.session.commit()
    assert_held_with(result, "bad_quantity", "no lines")


@pytest.mark.parametrize("missing", [("city",), ("name", "phone"), ("line1", "province")])
def test_address_missing_fields_is_an_address_error(warehouse, missing):
    (sku,) = stocked_skus(1)
    payload = order_payload(f"ADDR-{'-'.join(missing)}", [(sku, 1)])
    for name in missing:
        payload["address"].pop(name)
    result = intake(payload)
    db.session.commit()
    assert_held_with(result, "address_error", "address is missing", *missing)


def test_blank_address_field_counts_as_missing(warehouse):
    (sku,) = stocked_skus(1)
    payload = order_payload("ADDR-BLANK", [(sku, 1)])
    payload["address"]["city"] = "   "
    result = intake(payload)
    db.session.commit()
    assert_held_with(result, "address_error", "city")


def test_overlong_address_field_is_an_address_error_not_a_crash(warehouse):
    (sku,) = stocked_skus(1)
    payload = order_payload("ADDR-LONG", [(sku, 1)])
    payload["address"]["phone"] = "1" * 60
    result = intake(payload)
    db.session.commit()
    assert_held_with(result, "address_error", "phone")


def test_address_that_is_not_an_object_is_an_address_error(warehouse):
    (sku,) = stocked_skus(1)
    result = intake(order_payload("ADDR-STR", [(sku, 1)], address="Hangzhou somewhere"))
    db.session.commit()
    assert_held_with(result, "address_error", "name", "city")


@pytest.mark.parametrize("carrier", ["sf", "ems", "deppon", "yto", "dhl"])
def test_carrier_that_cannot_book_holds_the_order(warehouse, monkeypatch, carrier):
    # Even with an account key in the environment: no client for their APIs exists here.
    monkeypatch.setenv(f"{carrier.upper()}_API_KEY", "test-account")
    (sku,) = stocked_skus(1)
    result = intake(order_payload(f"C-{carrier}", [(sku, 1)], carrier=carrier))
    db.session.commit()
    assert_held_with(result, "bad_carrier", carrier, "not available")


def test_builtin_carrier_is_accepted_in_any_case(warehouse):
    (sku,) = stocked_skus(1)
    result = intake(order_payload("C-builtin-ok", [(sku, 1)], carrier="BuiltIn"))
    assert result.outcome == "created"
    assert db.session.get(Order, result.order_id).carrier == "builtin"


def test_every_problem_gets_its_own_exception(warehouse, monkeypatch):
    monkeypatch.delenv("YTO_API_KEY", raising=False)
    (sku,) = stocked_skus(1)
    payload = order_payload("MANY", [(sku, "abc"), ("NOPE", 1)], carrier="yto")
    payload["address"].pop("city")
    result = intake(payload)
    db.session.commit()
    assert result.outcome == "held" and len(result.problems) == 4
    kinds = sorted(e.kind for e in open_exceptions(result.order_id))
    assert kinds == ["address_error", "bad_carrier", "bad_quantity", "unknown_sku"]


def test_missing_channel_or_number_is_rejected_and_nothing_is_stored(warehouse):
    before = count(Order)
    for payload in ({"order_no": "1", "lines": []}, {"channel": "shop", "order_no": "  "}, {}):
        result = intake(payload)
        assert result.outcome == "rejected" and result.order_id is None
        assert "required" in result.problems[0]
    db.session.commit()
    assert count(Order) == before


# ---------------------------------------------------------------- fix and release
def release_form(order, **changes):
    """The fix form as the order page posts it, with some fields changed."""
    fields = {name: getattr(order, f"ship_{name}") for name in
              ("name", "phone", "line1", "city", "province", "postcode", "country")}
    fields.update(carrier=order.carrier, priority=str(order.priority))
    lines = changes.pop("lines", [(line.sku, str(line.quantity)) for line in order.lines])
    fields.update(changes)
    items = list(fields.items())
    for sku, quantity in lines:
        items += [("sku", sku), ("quantity", quantity)]
    return MultiDict(items)


@pytest.fixture
def held_order(warehouse):
    """An order held for an address error, an unknown SKU and a bad quantity."""
    sku_a, _sku_b = stocked_skus(2)
    payload = order_payload("FIX1", [(sku_a, 0), ("TYPO-SKU", 1)], priority=4,
                            cutoff_at="2030-01-02T15:00:00+00:00")
    payload["address"].pop("city")
    result = intake(payload)
    db.session.commit()
    assert result.outcome == "held" and len(open_exceptions(result.order_id)) == 3
    return db.session.get(Order, result.order_id)


def test_fix_and_release_with_corrected_values(held_order, user_id):
    sku_a, sku_b = stocked_skus(2)
    supervisor = user_id("supervisor")
    exceptions = open_exceptions(held_order.id)
    form = release_form(held_order, city="Hangzhou", lines=[(sku_a, "2"), (sku_b, "1")])
    assert services.fix_and_release(held_order.id, form, supervisor) == []
    db.session.commit()
    order = db.session.get(Order, held_order.id)
    assert order.status == "new" and order.ship_city == "Hangzhou"
    assert [(line.sku, line.quantity) for line in order.lines] == [(sku_a, 2), (sku_b, 1)]
    assert open_exceptions(order.id) == []
    for exception in exceptions:
        db.session.refresh(exception)
        assert exception.resolved_at is not None and exception.resolved_by_id == supervisor
    event = order.events[-1]
    assert (event.from_status, event.to_status, event.user_id) == ("on_hold", "new", supervisor)
    # What the supervisor did not touch stays as the channel sent it.
    assert order.priority == 4
    assert order.cutoff_at.replace(tzinfo=order.cutoff_at.tzinfo or timezone.utc) == datetime(
        2030, 1, 2, 15, tzinfo=timezone.utc)
    assert count(OrderLine) == 2  # the old lines were replaced, not added to


def test_fix_and_release_with_values_still_bad_keeps_it_held(held_order, user_id):
    (sku_a,) = stocked_skus(1)
    form = release_form(held_order, city="Hangzhou", lines=[(sku_a, "1.5"), ("STILL-WRONG", "1")])
    problems = services.fix_and_release(held_order.id, form, user_id("supervisor"))
    db.session.commit()
    assert len(problems) == 2
    assert any("STILL-WRONG" in p for p in problems) and any("1.5" in p for p in problems)
    order = db.session.get(Order, held_order.id)
    assert order.status == "on_hold"
    assert open_exceptions(order.id)  # still there for the next pass
    # The corrections are kept, so the next pass starts from them.
    assert order.ship_city == "Hangzhou"
    assert [line.sku for line in order.lines] == [sku_a, "STILL-WRONG"]


def test_only_a_held_order_can_be_fixed(warehouse, user_id):
    (sku,) = stocked_skus(1)
    result = intake(order_payload("NEW1", [(sku, 1)]))
    db.session.commit()
    order = db.session.get(Order, result.order_id)
    with pytest.raises(services.OrderError):
        services.fix_and_release(order.id, release_form(order), user_id("supervisor"))
    with pytest.raises(services.OrderError):
        services.fix_and_release(10**9, MultiDict(), user_id("supervisor"))


# ---------------------------------------------------------------- CSV upload (view)
CSV_HEADER = "channel,order_no,sku,quantity,name,phone,line1,city,province,postcode,carrier\n"


def csv_row(number, sku, quantity, city="Hangzhou", channel="tmall"):
    """One CSV row: one line of one order."""
    return (f"{channel},{number},{sku},{quantity},Wang Fang,13900000000,8 Jiefang Rd,"
            f"{city},Zhejiang,310000,builtin\n")


def upload(client, content, filename="orders.csv"):
    """POST a file to the CSV import as a multipart form."""
    data = content.encode() if isinstance(content, str) else content
    return client.post("/orders/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


@pytest.fixture
def supervisor(sqlite_warehouse, sign_in):
    """A client signed in as the demo supervisor."""
    return sign_in(sqlite_warehouse.test_client(), "supervisor")


def test_csv_import_reports_each_order_and_207_for_mixed_results(supervisor):
    sku_a, sku_b = stocked_skus(2)
    content = (CSV_HEADER + csv_row("T1", sku_a, 2) + csv_row("T1", sku_b, 1)
               + csv_row("T2", "NOT-A-SKU", 1) + csv_row("T3", sku_a, "abc")
               + csv_row("T4", sku_b, 1, city=""))
    response = upload(supervisor, content)
    assert response.status_code == 207
    page = response.get_data(as_text=True)
    for number in ("T1", "T2", "T3", "T4"):
        assert f"tmall-{number}" in page
    assert page.count('class="outcome-created"') == 1
    assert page.count('class="outcome-held"') == 3
    assert "NOT-A-SKU" in page and "city" in page and "&#39;abc&#39;" in page
    orders = {o.channel_order_no: o for o in db.session.scalars(select(Order))}
    assert orders["T1"].status == "new" and len(orders["T1"].lines) == 2
    assert {orders[n].status for n in ("T2", "T3", "T4")} == {"on_hold"}
    # Uploading the same file again changes nothing: every order is a duplicate.
    again = upload(supervisor, content)
    assert again.status_code == 200
    assert again.get_data(as_text=True).count('class="outcome-duplicate"') == 4
    assert db.session.scalar(select(func.count(Order.id))) == 4


def test_csv_import_all_bad_is_422(supervisor):
    content = CSV_HEADER + csv_row("B1", "NOPE-1", 1) + csv_row("B2", "NOPE-2", 0)
    response = upload(supervisor, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count('class="outcome-held"') == 2
    assert db.session.scalar(select(func.count(Order.id))) == 2  # held, not lost


def test_csv_import_all_good_is_200(supervisor):
    (sku,) = stocked_skus(1)
    response = upload(supervisor, CSV_HEADER + csv_row("G1", sku, 1) + csv_row("G2", sku, 3))
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="outcome-created"') == 2


def flash_errors(page):
    """The error messages flashed on a page."""
    return re.findall(r'<p class="flash error"[^>]*>(.*?)</p>', page, flags=re.S)


@pytest.mark.parametrize("content, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", ("not UTF-8", "CSV")),
    ("just some words\nnot a table at all\n", ("missing columns", "channel", "sku")),
    (b"", ("missing columns",)),
    ("channel,order_no,sku,quantity\nshop,1," + "x" * 200_000 + ",1\n", ("line 2", "CSV")),
])
def test_garbage_upload_gets_a_clear_message(supervisor, content, words):
    response = upload(supervisor, content, filename="photo.png")
    assert response.status_code == 422
    (message,) = flash_errors(response.get_data(as_text=True))
    assert "The file cannot be read" in message
    for word in words:
        assert word in message
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_csv_short_rows_are_held_not_a_crash(supervisor):
    (sku,) = stocked_skus(1)
    content = CSV_HEADER + csv_row("S1", sku, 1) + "tmall,S2\n" + f"tmall,S3,{sku}\n"
    response = upload(supervisor, content)
    assert response.status_code == 207
    page = response.get_data(as_text=True)
    assert page.count('class="outcome-created"') == 1 and page.count('class="outcome-held"') == 2
    held = db.session.scalar(select(Order).where(Order.channel_order_no == "S3"))
    assert held.status == "on_hold"
    assert {e.kind for e in open_exceptions(held.id)} == {"address_error", "bad_quantity"}


def test_csv_import_without_a_file_is_400(supervisor):
    response = supervisor.post("/orders/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a CSV file" in response.get_data(as_text=True)


def test_csv_import_is_for_supervisors_only(sqlite_warehouse, sign_in):
    picker = sign_in(sqlite_warehouse.test_client(), "picker")
    response = upload(picker, CSV_HEADER + csv_row("P1", "X", 1))
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Order.id))) == 0


# ---------------------------------------------------------------- priority
@pytest.mark.parametrize("priority", [100_001, -100_001, "99999999999", "high", "1.5", 2.5,
                                      True, "--3", "²"])
def test_an_out_of_range_or_broken_priority_refuses_the_order(warehouse, priority):
    sku_a, = stocked_skus(1)
    before = count(Order)
    result = intake(order_payload("P1", [(sku_a, 1)], priority=priority))
    assert result.outcome == "rejected" and result.order_id is None
    assert result.problems == [f"priority {str(priority).strip()!r} is not a whole number "
                               f"from -100000 to 100000"]
    db.session.commit()
    assert count(Order) == before  # nothing stored with a priority of 0 in its place


@pytest.mark.parametrize("priority, kept", [(None, 0), ("", 0), (" 7 ", 7), ("-4", -4),
                                            (100_000, 100_000), ("+2", 2)])
def test_a_whole_priority_in_range_is_kept(warehouse, priority, kept):
    sku_a, = stocked_skus(1)
    result = intake(order_payload("P2", [(sku_a, 1)], priority=priority))
    assert result.outcome == "created"
    assert db.session.get(Order, result.order_id).priority == kept


def test_csv_import_names_the_bad_priority_on_its_order(supervisor):
    sku_a, sku_b = stocked_skus(2)
    content = ("channel,order_no,sku,quantity,name,phone,line1,city,province,priority\n"
               f"tmall,PR1,{sku_a},1,Wang Fang,139,8 Jiefang Rd,Hangzhou,Zhejiang,5\n"
               f"tmall,PR2,{sku_b},1,Wang Fang,139,8 Jiefang Rd,Hangzhou,Zhejiang,9999999\n")
    response = upload(supervisor, content)
    assert response.status_code == 207
    page = response.get_data(as_text=True)
    assert "tmall-PR2" in page and "priority &#39;9999999&#39; is not a whole number" in page
    orders = {o.channel_order_no: o for o in db.session.scalars(select(Order))}
    assert orders["PR1"].priority == 5 and "PR2" not in orders
