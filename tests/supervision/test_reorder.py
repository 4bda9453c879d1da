"""The reorder-point screen (库存监控): find a product, set its point and quantity within
bounds, every change in the audit trail, and the stock watch reads the new point."""
import pytest
from sqlalchemy import select

from webapp.audit.models import AuditEntry
from webapp.catalog.models import Product
from webapp.extensions import db
from webapp.limits import MAX_REORDER_UNITS
from webapp.supervision import kpis, reorder


@pytest.fixture
def stocked(floor):
    """Tea set: 6 available (8 less 2 reserved) against the default point 10; Cup: 40
    on a shelf with its own point 3; Kettle: 30 in the packing area only."""
    f = floor
    cup = Product(sku="SKU-CUP", name="Cup", reorder_point=3)
    kettle = Product(sku="SKU-KET", name="Kettle")
    db.session.add_all([cup, kettle])
    db.session.flush()
    f.stock(f.product, f.loc["A"], 8, reserved=2)
    f.stock(cup, f.loc["B"], 40)
    f.stock(kettle, f.pack, 30)
    db.session.commit()
    f.cup, f.kettle = cup, kettle
    return f


def test_rows_most_urgent_first_and_search(stocked):
    rows = reorder.rows()
    assert [(r["sku"], r["available"], r["point"], r["low"]) for r in rows] == [
        ("SKU-KET", 0, 10, True), ("SKU-1", 6, 10, True), ("SKU-CUP", 40, 3, False)]
    assert [r["sku"] for r in reorder.rows("cup")] == ["SKU-CUP"]
    assert reorder.rows("100%_\\") == []  # wildcards are searched for, not obeyed


def test_set_point_moves_the_stock_watch_and_is_audited(stocked):
    assert "SKU-CUP" not in [row[0] for row in kpis.stock_watch().rows]
    reorder.set_reorder(stocked.cup.id, 50, 120)
    db.session.commit()
    watch = {row[0]: row for row in kpis.stock_watch().rows}
    assert watch["SKU-CUP"][2:4] == [40, 50]  # now low against its new point
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "product", AuditEntry.object_id == stocked.cup.id)
        .order_by(AuditEntry.id.desc())).first()
    assert entry.old_values == {"reorder_point": 3, "reorder_qty": None}
    assert entry.new_values == {"reorder_point": 50, "reorder_qty": 120}
    reorder.set_reorder(stocked.cup.id, None, None)  # blank: back to the default
    db.session.commit()
    assert "SKU-CUP" not in [row[0] for row in kpis.stock_watch().rows]  # 40 > 10
    [cup] = reorder.rows("SKU-CUP")
    assert (cup["own_point"], cup["point"], cup["qty"]) == (None, 10, None)


@pytest.mark.parametrize("text, low, expected", [
    ("", 0, None), (" 12 ", 0, 12), ("0", 0, 0), (str(MAX_REORDER_UNITS), 0, MAX_REORDER_UNITS)])
def test_units_within_bounds(text, low, expected):
    assert reorder.parse_units(text, low, "x") == expected


@pytest.mark.parametrize("text, low", [
    ("-1", 0, ), ("0", 1), ("1.5", 0), ("1e3", 0), ("abc", 0), ("٣", 0),
    (str(MAX_REORDER_UNITS + 1), 0), ("9" * 400, 0)])
def test_units_out_of_bounds_are_refused(text, low, app):
    with app.test_request_context(), pytest.raises(reorder.ReorderError):
        reorder.parse_units(text, low, "x")


def test_screen_saves_by_htmx_and_keeps_bad_input(app, login_as, make_catalog):
    product = make_catalog()["p1"]
    db.session.commit()
    client = login_as("supervisor")
    page = client.get("/console/reorder?q=" + product.sku)
    assert page.status_code == 200 and f'id="reorder-{product.id}"' in page.get_data(
        as_text=True)
    url = f"/console/reorder/{product.id}"
    htmx = {"HX-Request": "true"}
    saved = client.post(url, data={"reorder_point": "25", "reorder_qty": "100"}, headers=htmx)
    assert saved.status_code == 200 and "Saved." in saved.get_data(as_text=True)
    assert 'data-point="25"' in saved.get_data(as_text=True)
    assert "HX-Request" in saved.headers["Vary"]
    db.session.expire_all()
    assert (product.reorder_point, product.reorder_qty) == (25, 100)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "product")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.user_id is not None and entry.new_values["reorder_point"] == 25
    bad = client.post(url, data={"reorder_point": "99999999", "reorder_qty": "7"},
                      headers=htmx)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and 'role="alert"' in html and "1000000" in html
    assert 'value="99999999"' in html and 'value="7"' in html  # what was typed, kept
    db.session.expire_all()
    assert product.reorder_point == 25  # nothing half-saved
    plain = client.post(url, data={"reorder_point": "x"})  # no JavaScript: the page again
    assert plain.status_code == 422 and 'value="x"' in plain.get_data(as_text=True)
    assert client.post(url, data={"reorder_point": "5"}).status_code == 302
    assert client.post("/console/reorder/2147483647", data={"reorder_point": "5"},
                       headers=htmx).status_code == 404
    assert login_as("picker").post(url, data={"reorder_point": "1"}).status_code == 403
    assert login_as("picker").get("/console/reorder").status_code == 403
