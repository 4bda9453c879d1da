"""Catalog screens: stock lookup, location and product forms, printable labels."""
import re

import pytest
from sqlalchemy import func, select

from webapp.catalog import labels
from webapp.catalog.models import Barcode, Location, Product
from webapp.catalog.stock import move_stock
from webapp.extensions import db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def stocked(make_catalog):
    """The small catalog with Tea set: 5 at A-01-01-1, 3 at A-01-02-1; Kettle: 2 at A-01-01-1."""
    c = make_catalog()
    move_stock(c["p1"].id, 5, reason="opening", to_location_id=c["a"].id)
    move_stock(c["p1"].id, 3, reason="opening", to_location_id=c["b"].id)
    move_stock(c["p2"].id, 2, reason="opening", to_location_id=c["a"].id)
    db.session.commit()
    return c


def table_rows(html):
    """{first cell text: quantity} of the result table."""
    rows = re.findall(r'<tr><td>(.*?)</td><td class="num">(\d+)</td></tr>', html, re.S)
    return {re.sub(r"<[^>]+>", "", cell).strip(): int(qty) for cell, qty in rows}


def count(model):
    """Rows in a table."""
    return db.session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- lookup
def lookup(client, code, htmx=False):
    """GET /lookup for a code, as a page or as the htmx fragment."""
    return client.get("/lookup", query_string={"code": code}, headers=HTMX if htmx else {})


def test_product_barcode_shows_where_it_is(login_as, stocked):
    """A product's EAN lists its locations with quantities, largest first."""
    page = lookup(login_as("picker"), "6901234567892").get_data(as_text=True)
    assert 'data-feedback="ok"' in page and "Tea set" in page
    assert table_rows(page) == {"A-01-01-1": 5, "A-01-02-1": 3}
    assert page.index("A-01-01-1") < page.index("A-01-02-1")


def test_htmx_lookup_answers_with_the_fragment_only(login_as, stocked):
    """With HX-Request the answer is the result section alone, and varies on that header."""
    response = lookup(login_as("picker"), "]E06901234567892", htmx=True)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="lookup-result"')
    assert "<html" not in html and "<form" not in html
    assert table_rows(html) == {"A-01-01-1": 5, "A-01-02-1": 3}
    assert "HX-Request" in response.headers["Vary"]


def test_location_code_shows_what_it_holds(login_as, stocked):
    """A location's code lists the products on it."""
    html = lookup(login_as("picker"), "A-01-01-1", htmx=True).get_data(as_text=True)
    assert 'data-feedback="ok"' in html
    assert table_rows(html) == {"SKU-1 Tea set": 5, "SKU-2 Kettle": 2}


def test_equivalent_forms_of_a_upca_find_the_product(login_as, stocked):
    """A UPC-A stored on a product is found when scanned as its EAN-13 form."""
    admin = login_as("admin")
    admin.post("/catalog/products/new", data={"sku": "SKU-3", "name": "Cola",
                                              "barcodes": "036000291452"})
    html = lookup(admin, "0036000291452", htmx=True).get_data(as_text=True)
    assert 'data-feedback="ok"' in html and "Cola" in html


@pytest.mark.parametrize("code,message", [
    ("NOPE-123", "Unknown barcode NOPE-123."),
    ("6901234567893", "check digit of 6901234567893 is wrong (expected 2)"),
    ("]E0", "empty"),
    # With the scanner's ]C1 prefix the reason is given, not "Unknown barcode" (issue 9).
    ("]C10109506000134353", "GS1 AI 01 (GTIN): the check digit of 09506000134353 is wrong"),
    ("]C1010950600013435217261332", "GS1 AI 17 (expiry date): 261332 is not a valid YYMMDD"),
    ("(01)09506000134352(17)260230", "260230 is not a valid YYMMDD date"),
])
def test_bad_codes_are_refused_loudly(login_as, stocked, code, message):
    """Unknown or malformed: the message and data-feedback="bad" (the sound and colour)."""
    html = lookup(login_as("picker"), code, htmx=True).get_data(as_text=True)
    assert 'data-feedback="bad"' in html and message in html
    assert 'data-feedback="ok"' not in html


def test_a_malformed_code_is_refused_in_the_persons_language(login_as, stocked):
    """The reason is translated at the edge (zh-CN): the template and the AI's name."""
    client = login_as("picker")
    html = client.get("/lookup", query_string={"code": "]C1010950600013435217261332"},
                      headers={**HTMX, "Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "GS1 AI 17（有效期至）：261332 不是有效的 YYMMDD 日期。" in html
    html = client.get("/lookup", query_string={"code": "4006381333932"},
                      headers={**HTMX, "Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "4006381333932 的校验位错误（应为 1）。" in html


def test_lookup_page_without_a_code_shows_the_scan_field(login_as):
    """The empty page is ready to scan into."""
    html = login_as("picker").get("/lookup").get_data(as_text=True)
    assert 'name="code"' in html and "data-feedback" not in html


# ---------------------------------------------------------------- location form
LOCATION = {"code": "b-02-03-4", "type": "storage", "zone": "b", "aisle": "2", "bay": "3",
            "level": "4", "warehouse": ""}


def test_new_location_is_saved(login_as, stocked):
    """Saved upper-cased, then back to the list filtered on it."""
    response = login_as("admin").post("/catalog/locations/new", data=LOCATION)
    assert response.status_code == 302
    assert response.headers["Location"] == "/catalog/locations?q=B-02-03-4"
    saved = db.session.scalar(select(Location).where(Location.code == "B-02-03-4"))
    assert (saved.zone, saved.aisle, saved.bay, saved.level) == ("B", 2, 3, 4)


@pytest.mark.parametrize("change,message", [
    ({"code": ""}, "location code of 1 to 64"),
    ({"code": "A-01-01-1"}, "is taken"),
    ({"type": "attic"}, "Unknown location type"),
    ({"aisle": "x"}, "Aisle must be a whole number"),
    ({"bay": "-1"}, "Bay must be a whole number"),
    ({"level": "\u00b2"}, "Level must be a whole number"),  # superscript two passes isdigit()
    ({"aisle": "99999999999"}, "Aisle is too large"),
    ({"warehouse": "NOPE"}, "Unknown warehouse"),
])
def test_invalid_location_is_422_and_not_saved(login_as, stocked, change, message):
    """The form comes back with the message and what was typed; nothing is written."""
    before = count(Location)
    response = login_as("admin").post("/catalog/locations/new", data={**LOCATION, **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and 'class="flash error"' in html
    assert count(Location) == before


def test_location_edit_saves_and_refuses_a_taken_code(login_as, stocked):
    """Editing keeps the row; changing to another location's code is refused."""
    admin, a = login_as("admin"), stocked["a"]
    url = f"/catalog/locations/{a.id}"
    assert 'value="A-01-01-1"' in admin.get(url).get_data(as_text=True)
    assert admin.post(url, data={**LOCATION, "code": "A-01-01-1", "zone": "Q"}).status_code == 302
    assert db.session.get(Location, a.id).zone == "Q"
    assert admin.post(url, data={**LOCATION, "code": "A-01-02-1"}).status_code == 422
    assert db.session.get(Location, a.id).code == "A-01-01-1"


def test_editing_a_missing_location_is_404(login_as):
    """An id that names nothing."""
    assert login_as("admin").get("/catalog/locations/999999").status_code == 404


# ---------------------------------------------------------------- product form
PRODUCT = {"sku": "SKU-3", "name": "Notebook", "barcodes": "9780306406157\nNB-3:code128",
           "image_url": ""}


def test_new_product_is_saved_with_its_barcodes(login_as, stocked):
    """Each line of the barcode box becomes a barcode with its symbology."""
    response = login_as("admin").post("/catalog/products/new", data=PRODUCT)
    assert response.status_code == 302
    product = db.session.scalar(select(Product).where(Product.sku == "SKU-3"))
    assert [(b.code, b.symbology) for b in product.barcodes] == \
        [("9780306406157", "ean13"), ("NB-3", "code128")]


@pytest.mark.parametrize("change,message", [
    ({"sku": ""}, "SKU of 1 to 64"),
    ({"sku": "SKU-1"}, "The SKU SKU-1 is taken"),
    ({"name": " "}, "product name is required"),
    ({"barcodes": "9780306406158"}, "check digit"),
    ({"barcodes": "6901234567892"}, "already belongs to SKU-1"),
    ({"barcodes": "9780306406157 9780306406157"}, "listed twice"),
    ({"barcodes": "9780306406157:ean8"}, "exactly 8 digits"),
    ({"image_url": "/" + "i" * 600}, "500 characters"),
    ({"length_mm": "100", "width_mm": "50"}, "length, width and height"),
    ({"length_mm": "100", "width_mm": "50", "height_mm": "0"}, "length, width and height"),
    ({"length_mm": "1e3", "width_mm": "5", "height_mm": "5"}, "length, width and height"),
])
def test_invalid_product_is_422_and_not_saved(login_as, stocked, change, message):
    """Nothing of the product or its barcodes is written."""
    before = (count(Product), count(Barcode))
    response = login_as("admin").post("/catalog/products/new", data={**PRODUCT, **change})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert (count(Product), count(Barcode)) == before


def test_a_product_keeps_the_size_of_one_unit(login_as, stocked):
    """The packing station suggests a box from it; empty means unknown."""
    admin = login_as("admin")
    sized = {**PRODUCT, "length_mm": "120", "width_mm": " 80", "height_mm": "40"}
    assert admin.post("/catalog/products/new", data=sized).status_code == 302
    product = db.session.scalar(select(Product).where(Product.sku == "SKU-3"))
    assert (product.length_mm, product.width_mm, product.height_mm) == (120, 80, 40)
    assert 'name="length_mm" inputmode="numeric" value="120"' in admin.get(
        f"/catalog/products/{product.id}").get_data(as_text=True)
    admin.post(f"/catalog/products/{product.id}", data={**PRODUCT, "barcodes": "9780306406157"})
    db.session.expire_all()
    assert db.session.get(Product, product.id).length_mm is None


def test_product_edit_keeping_its_barcode_saves(login_as, stocked):
    """Saving the edit form as shown (same barcode) renames without a conflict."""
    admin, p1 = login_as("admin"), stocked["p1"]
    url = f"/catalog/products/{p1.id}"
    shown = admin.get(url).get_data(as_text=True)
    assert "6901234567892:ean13" in shown
    response = admin.post(url, data={"sku": "SKU-1", "name": "Tea set (6 cups)",
                                      "barcodes": "6901234567892:ean13\n9780306406157"})
    assert response.status_code == 302
    db.session.expire_all()
    product = db.session.get(Product, p1.id)
    assert product.name == "Tea set (6 cups)"
    assert [b.code for b in product.barcodes] == ["6901234567892", "9780306406157"]


def test_product_edit_can_drop_a_barcode(login_as, stocked):
    """A barcode removed from the list is deleted, and can then go to another product."""
    admin, p1, p2 = login_as("admin"), stocked["p1"], stocked["p2"]
    admin.post(f"/catalog/products/{p1.id}", data={"sku": "SKU-1", "name": "Tea set"})
    response = admin.post(f"/catalog/products/{p2.id}", data={
        "sku": "SKU-2", "name": "Kettle", "barcodes": "4006381333931 6901234567892"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, p1.id).barcodes == []
    assert len(db.session.get(Product, p2.id).barcodes) == 2


# ---------------------------------------------------------------- labels
# Code128 symbol widths (bar, space, bar, space, bar, space) for values 0-105, then
# STOP, as ISO/IEC 15417 tabulates them; decoding against this table checks the
# printed bars independently of the library that drew them.
CODE128_WIDTHS = """
212222 222122 222221 121223 121322 131222 122213 122312 132212 221213
221312 231212 112232 122132 122231 113222 123122 123221 223211 221132
221231 213212 223112 312131 311222 321122 321221 312212 322112 322211
212123 212321 232121 111323 131123 131321 112313 132113 132311 211313
231113 231311 112133 112331 132131 113123 113321 133121 313121 211331
231131 213113 213311 213131 311123 311321 331121 312113 312311 332111
314111 221411 431111 111224 111422 121124 121421 141122 141221 112214
112412 122114 122411 142112 142211 241211 221114 413111 241112 134111
111242 121142 121241 114212 124112 124211 411212 421112 421211 212141
214121 412121 111143 111341 131141 114113 114311 411113 411311 113141
114131 311141 411131 211412 211214 211232 2331112
""".split()


def _modules_of(widths):
    """'212222' -> '11011001100': bars as 1s, spaces as 0s."""
    return "".join(("1" if i % 2 == 0 else "0") * int(w) for i, w in enumerate(widths))


SYMBOLS = {_modules_of(widths): value for value, widths in enumerate(CODE128_WIDTHS[:-1])}
STOP = _modules_of(CODE128_WIDTHS[-1])
RECT = re.compile(r'<rect x="([\d.]+)mm" y="[\d.]+mm" width="([\d.]+)mm"')


def svg_modules(svg):
    """Rebuild the module string from the bars' x and width in the SVG."""
    bars = [(float(x), float(width)) for x, width in RECT.findall(svg)]
    module = min(width for _x, width in bars)  # every Code128 start symbol has a 1-module bar
    origin, pattern = bars[0][0], ""
    for x, width in bars:
        pattern += "0" * (round((x - origin) / module) - len(pattern))
        pattern += "1" * round(width / module)
    return pattern


def decode_code128(pattern):
    """The text a Code128 module string encodes; fails on a bad symbol or checksum."""
    assert pattern.endswith(STOP), "no stop pattern"
    body = pattern[:-len(STOP)]
    values = [SYMBOLS[body[i:i + 11]] for i in range(0, len(body), 11)]
    start, *data, check = values
    assert (start + sum(i * v for i, v in enumerate(data, 1))) % 103 == check, "checksum"
    code_set, text = {103: "A", 104: "B", 105: "C"}[start], ""
    for value in data:
        if code_set == "C" and value < 100:
            text += f"{value:02d}"
        elif code_set in "AB" and value < 96:
            text += chr(value + 32) if code_set == "B" or value < 64 else chr(value - 64)
        elif value in (99, 100, 101):
            code_set = {99: "C", 100: "B", 101: "A"}[value]
        else:
            raise AssertionError(f"unexpected Code128 value {value} in set {code_set}")
    return text


def test_decoder_reads_a_known_symbol():
    """The test's own decoder on a hand-made symbol: START B, 'A', '1', check, STOP."""
    values = [104, 33, 17, (104 + 33 + 2 * 17) % 103]
    pattern = "".join(_modules_of(CODE128_WIDTHS[v]) for v in values) + STOP
    assert decode_code128(pattern) == "A1"


@pytest.fixture
def label_items(stocked):
    """Labels to print: both locations, and both products (by their first barcode)."""
    return {"locations": (f"{stocked['a'].id},{stocked['b'].id}", ["A-01-01-1", "A-01-02-1"]),
            "products": (f"{stocked['p1'].id},{stocked['p2'].id}",
                         ["6901234567892", "4006381333931"])}


@pytest.mark.parametrize("size", sorted(labels.LAYOUTS))
@pytest.mark.parametrize("kind", ["locations", "products"])
def test_labels_encode_their_values(login_as, label_items, kind, size):
    """One SVG per item; its bars decode back to the value and match python-barcode's modules."""
    ids, values = label_items[kind]
    response = login_as("receiver").get(f"/labels/{kind}", query_string={"ids": ids,
                                                                        "size": size})
    html = response.get_data(as_text=True)
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert response.status_code == 200 and len(svgs) == len(values)
    assert f"size-{size}" in html
    for svg, value in zip(svgs, values):
        pattern = svg_modules(svg)
        assert decode_code128(pattern) == value
        assert pattern == labels.modules(value)
        assert float(re.search(r'width="([\d.]+)mm"', svg)[1]) <= \
            labels.LAYOUTS[size]["bar_width"] + 0.05  # fits the label


def test_labels_of_an_unknown_kind_are_404(login_as):
    """Only locations and products have labels here."""
    assert login_as("admin").get("/labels/trucks").status_code == 404


def test_a_code_too_long_is_refused_with_a_clear_message_not_echoed_whole(login_as, stocked):
    """A scanner may send a long GS1 string: the field posts it (a URL has no room), and a
    code past the limit is refused saying so; the page never carries it back whole."""
    picker = login_as("picker")
    huge = "01" + "9" * 4998
    for response in (picker.post("/lookup", data={"code": huge}, headers=HTMX),
                     picker.post("/lookup", data={"code": huge}),
                     picker.get("/lookup", query_string={"code": huge})):
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "This code is too long: 5000 characters (at most 200)" in html
        if response.request.method == "POST":  # (a GET's own URL is in the page's links)
            assert "9" * 100 not in html
    found = picker.post("/lookup", data={"code": "6901234567892"}, headers=HTMX)
    assert "Tea set" in found.get_data(as_text=True)
    page = picker.get("/lookup").get_data(as_text=True)
    assert 'method="post"' in page and 'data-scan-method="GET"' not in page
