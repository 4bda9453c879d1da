"""The packing station: quantities, the checker (复核人) and the 出库单, box presets."""
import re

import pytest
from sqlalchemy import select

from outbound_support import barcode_of, stocked_skus
from test_packing import BOX, picked
from webapp.catalog.models import Product
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.packing import boxes
from webapp.packing import services as packing
from webapp.packing.models import BoxPreset, Parcel, Shipment
from webapp.queues import queue
from webapp.signatures.models import Signature

# A drawing as the signature pad writes it (toSVG).
DRAWN = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180" width="320" height="180">'
         '<path d="M 20.000,40.000 C 25.100,42.300 30.000,45.000 35.500,50.250" '
         'stroke-width="3.120" stroke="#0d1117" fill="none" stroke-linecap="round"></path></svg>')


def pad_svg_text():
    """The drawing posted as checker_svg."""
    return DRAWN


@pytest.fixture
def packer(sqlite_warehouse, sign_in):
    """A client signed in as the demo packer, the packing queue emptied first."""
    queue("packing").empty()
    yield sign_in(sqlite_warehouse.test_client(), "packer")
    queue("packing").empty()  # bookings queued here are never run: no later test may run them


def big_order(make_planned, user_id, units=24):
    """A picked order with a line of `units` identical units and a line of one."""
    sku_a, sku_b = stocked_skus(2, min_qty=units)
    return picked(make_planned, user_id, lines=[(sku_a, units), (sku_b, 1)])[0]


def scan(client, order, code, qty=None):
    """Post one scan (with a quantity) to the packing screen; the fragment's text."""
    data = {"code": code, **({"qty": qty} if qty is not None else {})}
    return client.post(f"/packing/orders/{order.id}/scan", data=data).get_data(as_text=True)


# ---------------------------------------------------------------- verify by quantity
def test_a_24_unit_line_is_verified_with_one_scan_and_a_quantity(packer, make_planned,
                                                                  user_id):
    order = big_order(make_planned, user_id)
    first, second = order.lines
    ean = barcode_of(first.product_id)
    refused = scan(packer, order, ean, 24)  # no unit scanned yet: one first
    assert "Scan one unit of" in refused and first.verified_qty == 0
    page = scan(packer, order, ean)
    assert f"{first.sku}: 1 of 24." in page
    assert 'id="rest-form"' in page and 'name="qty"' in page and "23 left" in page
    over = scan(packer, order, first.product.sku, 24)
    assert f"only 23 of {first.sku} left" in over and first.verified_qty == 1
    for bad in ("0", "-1", "2.5", "abc", "１", "9" * 30):
        assert 'data-feedback="bad"' in scan(packer, order, ean, bad)
    db.session.expire_all()
    assert db.session.get(Order, order.id).lines[0].verified_qty == 1
    done = scan(packer, order, first.product.sku, 23)
    assert f"{first.sku}: 24 of 24." in done and 'id="rest-form"' not in done
    scan(packer, order, barcode_of(second.product_id))
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert packing.fully_verified(order)
    assert order.verified_by_id == user_id("packer") and order.verified_at is not None


def test_restart_forgets_the_checker(packer, make_planned, user_id):
    order = big_order(make_planned, user_id, units=3)
    scan(packer, order, barcode_of(order.lines[0].product_id))
    packer.post(f"/packing/orders/{order.id}/restart")
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.verified_by_id is None and order.lines[0].verified_qty == 0


# ---------------------------------------------------------------- box presets
def test_box_presets_are_checked_when_saved(sqlite_warehouse):
    box = boxes.save_preset({"code": " b-2 ", "name": "Medium", "inner_length_mm": "300",
                             "inner_width_mm": "200", "inner_height_mm": "150", "tare_g": "180"})
    assert box.code == "B-2" and box.volume == 300 * 200 * 150
    for bad in ({"inner_length_mm": "0"}, {"inner_width_mm": "abc"}, {"tare_g": "-1"},
                {"inner_height_mm": "99999999"}, {"code": ""}, {"name": ""},
                {"code": "b-2"}):  # taken by the first box
        values = {"code": "B-3", "name": "Other", "inner_length_mm": "10",
                  "inner_width_mm": "10", "inner_height_mm": "10", "tare_g": "5", **bad}
        with pytest.raises(boxes.BoxError):
            boxes.save_preset(values)
    assert boxes.save_preset({**values, "code": "B-2", "name": "Renamed"}, box.id).name == "Renamed"


def test_only_an_admin_edits_box_presets(sqlite_warehouse, sign_in, packer):
    assert packer.get("/packing/boxes").status_code == 403
    admin = sign_in(sqlite_warehouse.test_client(), "admin")
    response = admin.post("/packing/boxes", data={
        "code": "S1", "name": "Small", "inner_length_mm": "200", "inner_width_mm": "150",
        "inner_height_mm": "100", "tare_g": "90", "active": "1"})
    assert response.status_code == 302
    assert "S1" in admin.get("/packing/boxes").get_data(as_text=True)
    bad = admin.post("/packing/boxes", data={"code": "S2", "name": "x", "inner_length_mm": "-5",
                                             "inner_width_mm": "1", "inner_height_mm": "1",
                                             "tare_g": "0"}, follow_redirects=True)
    assert bad.status_code == 200 and "must be a whole number" in bad.get_data(as_text=True)
    assert db.session.scalar(select(BoxPreset).where(BoxPreset.code == "S2")) is None


def presets():
    """Three boxes: small, medium, large."""
    for code, size, tare in (("S", (200, 150, 100), 90), ("M", (300, 200, 150), 180),
                             ("L", (500, 400, 300), 400)):
        boxes.save_preset({"code": code, "name": code, "inner_length_mm": size[0],
                           "inner_width_mm": size[1], "inner_height_mm": size[2],
                           "tare_g": tare})
    db.session.commit()


def test_the_smallest_box_the_items_fit_is_suggested(packer, make_planned, user_id):
    presets()
    order = big_order(make_planned, user_id, units=4)
    assert boxes.suggest(order) is None  # sizes unknown: no guess
    first, second = (db.session.get(Product, l.product_id) for l in order.lines)
    first.length_mm, first.width_mm, first.height_mm = 100, 80, 60   # 4 units: 1.92 L
    second.length_mm, second.width_mm, second.height_mm = 90, 90, 90  # 0.73 L
    db.session.commit()
    assert boxes.suggest(order).code == "M"  # 2.65 L + room > S (3 L)
    second.length_mm = 450  # too long for M
    assert boxes.suggest(order).code == "L"
    second.length_mm = 900  # fits nothing
    assert boxes.suggest(order) is None


def test_packing_into_a_preset_takes_its_size(packer, make_planned, user_id):
    presets()
    order = big_order(make_planned, user_id, units=2)
    for line in order.lines:
        for _ in range(line.quantity):
            scan(packer, order, barcode_of(line.product_id))
    page = packer.get(f"/packing/orders/{order.id}").get_data(as_text=True)
    assert 'list="box-presets"' in page and '<option value="M">' in page
    too_light = packer.post(f"/packing/orders/{order.id}/pack", follow_redirects=True,
                            data={"box_code": "m", "weight_g": "100"})
    assert "less than the empty box M" in too_light.get_data(as_text=True)
    unknown = packer.post(f"/packing/orders/{order.id}/pack", follow_redirects=True,
                          data={"box_code": "NOPE", "weight_g": "900"})
    assert "No box preset NOPE" in unknown.get_data(as_text=True)
    assert db.session.scalar(select(Shipment)) is None
    packed = packer.post(f"/packing/orders/{order.id}/pack",
                         data={"box_code": ["m", ""], "weight_g": ["900", "400"],
                               "length_mm": ["", "250"], "width_mm": ["", "200"],
                               "height_mm": ["", "100"]})
    assert packed.status_code == 302 and packed.location.endswith("/shipment")
    parcels = db.session.scalars(select(Parcel).order_by(Parcel.id)).all()
    assert [(p.box_code, p.length_mm, p.width_mm, p.height_mm, p.weight_g) for p in parcels] == [
        ("M", 300, 200, 150, 900), (None, 250, 200, 100, 400)]


# ---------------------------------------------------------------- checker and 出库单
def packed_order(packer, make_planned, user_id):
    """An order verified and packed by the demo packer (booking left queued)."""
    order = big_order(make_planned, user_id, units=2)
    for line in order.lines:
        for _ in range(line.quantity):
            scan(packer, order, barcode_of(line.product_id))
    assert packer.post(f"/packing/orders/{order.id}/pack", data=BOX).status_code == 302
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_the_slip_names_packer_checker_time_and_carries_the_signature(packer, make_planned,
                                                                     user_id):
    order = packed_order(packer, make_planned, user_id)
    slip = packer.get(f"/packing/orders/{order.id}/slip").get_data(as_text=True)
    packer_name = order.verified_by.display_name
    assert f"data-packer>{packer_name}<" in slip and f"data-checker>{packer_name}<" in slip
    assert re.search(r"data-packed-at>\d{4}-\d\d-\d\d \d\d:\d\d<", slip)
    assert 'data-signed="0"' in slip and "data-print" in slip and "size: A4" in slip
    page = packer.get(f"/packing/orders/{order.id}/shipment").get_data(as_text=True)
    assert 'class="signature-field"' in page and 'name="checker_svg"' in page
    empty = packer.post(f"/packing/orders/{order.id}/sign", data={"checker_svg": ""},
                        follow_redirects=True)
    assert "Please sign in the box first." in empty.get_data(as_text=True)
    evil = pad_svg_text().replace("</svg>", "<script>alert(1)</script></svg>")
    assert "not allowed" in packer.post(f"/packing/orders/{order.id}/sign", follow_redirects=True,
                                        data={"checker_svg": evil}).get_data(as_text=True)
    assert db.session.query(Signature).count() == 0
    signed = packer.post(f"/packing/orders/{order.id}/sign", data={"checker_svg": pad_svg_text()})
    assert signed.status_code == 302
    signature = db.session.scalar(select(Signature))
    assert (signature.subject_type, signature.subject_id, signature.signer_role) == (
        "outbound_order", order.id, "checker")
    slip = packer.get(f"/packing/orders/{order.id}/slip").get_data(as_text=True)
    assert 'data-signed="1"' in slip and 'src="data:image/svg+xml;base64,' in slip


def test_only_the_checker_signs(packer, make_planned, user_id, sign_in, sqlite_warehouse):
    order = packed_order(packer, make_planned, user_id)
    other = sign_in(sqlite_warehouse.test_client(), "supervisor")
    refused = other.post(f"/packing/orders/{order.id}/sign", follow_redirects=True,
                         data={"checker_svg": pad_svg_text()})
    assert "Only the checker" in refused.get_data(as_text=True)
    assert db.session.query(Signature).count() == 0
