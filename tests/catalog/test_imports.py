"""CSV import of locations, products and opening stock: all rows or none, every error listed."""
import io

import pytest
from sqlalchemy import func, select

from webapp.catalog.imports import import_csv
from webapp.catalog.models import (Barcode, Location, Product, StockLevel, StockMovement,
                                   Warehouse)
from webapp.catalog.stock import ledger_mismatches, on_hand
from webapp.extensions import db

CATALOG_TABLES = (Warehouse, Location, Product, Barcode, StockLevel, StockMovement)


def csv_text(*lines):
    """A CSV file from its lines."""
    return "\n".join(lines) + "\n"


def row_counts():
    """How many rows each catalog table holds."""
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in CATALOG_TABLES}


def by(model, **where):
    """The one row of model matching where."""
    return db.session.scalar(select(model).filter_by(**where))


def imported(kind, text):
    """Import text and commit it; the report must be clean."""
    report = import_csv(kind, text)
    assert report.errors == []
    db.session.commit()
    return report


def refused(kind, data):
    """Import data expecting refusal; check nothing changed; return {line: message}."""
    before = row_counts()
    report = import_csv(kind, data)
    db.session.commit()  # whatever survived the import would be kept now
    assert not report.ok and report.applied == 0
    assert row_counts() == before
    return dict(report.errors)


# ---------------------------------------------------------------- good files
def test_locations_file_is_imported(any_app):
    """Codes are upper-cased, types and walking positions kept, MAIN created on demand."""
    report = imported("locations", csv_text(
        "code,type,zone,aisle,bay,level", "a-01-01-1,storage,a,1,1,1",
        "A-01-02-1,storage,A,1,2,1", "RCV-01,receiving,RCV,,,"))
    assert report.applied == 3
    location = by(Location, code="A-01-01-1")
    assert (location.type, location.zone, location.aisle, location.bay, location.level) == \
        ("storage", "A", 1, 1, 1)
    assert by(Location, code="RCV-01").type == "receiving"
    assert location.warehouse.code == "MAIN"


def test_products_file_with_barcodes_is_imported(any_app):
    """Several barcodes per product, any separator, symbology inferred or given."""
    imported("products", csv_text(
        "sku,name,barcodes,image_url",
        'SKU-1,Tea set,"4006381333931|036000291452",/img/tea.png',
        "SKU-2,Kettle,ABC-123:code128,",
        "SKU-3,Cup,,"))
    tea = by(Product, sku="SKU-1")
    assert [(b.code, b.symbology) for b in tea.barcodes] == \
        [("4006381333931", "ean13"), ("036000291452", "upca")]
    assert tea.image_url == "/img/tea.png"
    assert [(b.code, b.symbology) for b in by(Product, sku="SKU-2").barcodes] == \
        [("ABC-123", "code128")]
    assert by(Product, sku="SKU-3").barcodes == []


def test_reimporting_products_updates_them_in_place(any_app):
    """The same file twice, with a new name: one product, same barcode, new name."""
    imported("products", csv_text("sku,name,barcodes", "SKU-1,Tea set,4006381333931"))
    imported("products", csv_text("sku,name,barcodes", "SKU-1,Tea set (blue),4006381333931"))
    assert row_counts()["Product"] == 1 and row_counts()["Barcode"] == 1
    assert by(Product, sku="SKU-1").name == "Tea set (blue)"


def test_opening_stock_goes_through_the_ledger(any_app, make_catalog):
    """One movement per row, levels set, the ledger check agrees."""
    c = make_catalog()
    imported("stock", csv_text("sku,location,quantity", "SKU-1,A-01-01-1,12",
                               "SKU-1,a-01-02-1,3", "SKU-2,A-01-01-1,7"))
    movements = db.session.scalars(select(StockMovement).order_by(StockMovement.id)).all()
    assert [(m.reason, m.quantity, m.from_location_id, m.source) for m in movements] == [
        ("opening", 12, None, "csv-import:line-2"), ("opening", 3, None, "csv-import:line-3"),
        ("opening", 7, None, "csv-import:line-4")]
    assert on_hand(c["p1"].id, c["a"].id) == 12 and on_hand(c["p1"].id, c["b"].id) == 3
    assert ledger_mismatches() == []


def test_utf8_with_bom_and_chinese_names(any_app):
    """Excel's UTF-8 (with BOM) and Chinese product names import as written."""
    data = "\ufeffsku,name\nSKU-9,保温杯\n".encode("utf-8")
    imported("products", data)
    assert by(Product, sku="SKU-9").name == "保温杯"


# ---------------------------------------------------------------- bad files
BAD_FILES = {
    "locations": (csv_text(
        "code,type,zone,aisle,bay,level",
        "Z-01-01-1,storage,A,1,1,1",          # 2 good
        "Z-01-02-1,attic,A,1,2,1",            # 3 unknown type
        "Z-01-03-1,storage,A,1,3,1",          # 4 good
        "Z-01-04-1,storage,A,x,4,1",          # 5 aisle not a number
        "Z-01-05-1,storage,A,99999999999,5,1",  # 6 aisle too big for the database
        f"{'L' * 65},storage,A,1,6,1",        # 7 code too long
        "Z-01-07-1,storage,A,1,7,1"), {3, 5, 6, 7}),  # 8 good: rows after errors still count
    "products": (csv_text(
        "sku,name,barcodes,image_url",
        "SKU-10,Good,,",                      # 2 good
        "SKU-11,,,",                          # 3 no name
        "SKU-12,Bad digit,4006381333932,",    # 4 wrong check digit
        f"SKU-13,Long image,,/{'i' * 600}",   # 5 image address too long
        "SKU-14,Taken,6901234567892,",        # 6 barcode of SKU-1
        f"{'S' * 65},Long SKU,,"), {3, 4, 5, 6, 7}),  # 7 SKU too long
    "stock": (csv_text(
        "sku,location,quantity",
        "SKU-1,A-01-01-1,5",                  # 2 good
        "NOPE,A-01-01-1,5",                   # 3 unknown SKU
        "SKU-1,NOWHERE,5",                    # 4 unknown location
        "SKU-1,A-01-01-1,0",                  # 5 zero
        "SKU-1,A-01-01-1,2.5",                # 6 not whole
        "SKU-1,A-01-01-1,99999999999"), {3, 4, 5, 6, 7}),  # 7 too big for the database
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_every_bad_row_is_reported_and_nothing_is_imported(any_app, make_catalog, kind):
    """One message per bad line, with its line number; the good lines are not kept."""
    make_catalog()
    data, bad_lines = BAD_FILES[kind]
    errors = refused(kind, data)
    assert set(errors) == bad_lines
    assert all(message.strip() for message in errors.values())


def test_messages_name_the_problem(any_app, make_catalog):
    """The report says what to fix, not just that something failed."""
    make_catalog()
    errors = refused("products", BAD_FILES["products"][0])
    assert "name" in errors[3] and "check digit" in errors[4]
    assert "6901234567892" in errors[6] and "SKU-1" in errors[6]


@pytest.mark.parametrize("kind,lines,key", [
    ("locations", ("code,type", "B-1,storage", "C-1,storage", "b-1,storage"), "B-1"),
    ("products", ("sku,name", "SKU-5,Cup", "SKU-6,Mug", "SKU-5,Cup again"), "SKU-5"),
])
def test_duplicate_key_within_the_file_is_reported(any_app, kind, lines, key):
    """The same code twice in one file is an error on the second line, naming it."""
    errors = refused(kind, csv_text(*lines))
    assert list(errors) == [4] and key in errors[4]


def test_missing_required_columns_are_named(any_app):
    """A products file without name: line 1, naming the missing column."""
    errors = refused("products", csv_text("sku,title", "SKU-1,Tea"))
    assert list(errors) == [1] and "name" in errors[1]


def test_a_file_that_is_not_utf8_is_refused(any_app):
    """Latin-1 bytes: one clear message, nothing imported."""
    errors = refused("products", "sku,name\nSKU-1,Café crème\n".encode("latin-1"))
    assert "UTF-8" in " ".join(errors.values())


@pytest.mark.parametrize("data", [b"", "sku,name\n", "sku,name\n,\n\n"])
def test_an_empty_file_is_refused(any_app, data):
    """No file, a header only, or only blank rows: refused with a message."""
    assert refused("products", data)


def test_unknown_kind_is_refused(any_app):
    """Only locations, products and stock can be imported."""
    assert refused("orders", csv_text("code", "X"))


# ---------------------------------------------------------------- the upload page
def upload(client, kind, data, filename="file.csv"):
    """POST a file to the import page."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return client.post("/catalog/import", content_type="multipart/form-data",
                       data={"kind": kind, "file": (io.BytesIO(data), filename)})


def test_upload_of_a_good_file_imports_it(app, login_as):
    """200 with the count of rows imported."""
    response = upload(login_as("admin"), "locations", csv_text("code", "X-1", "X-2"))
    assert response.status_code == 200
    assert "2 rows imported" in response.get_data(as_text=True)
    assert by(Location, code="X-2") is not None


def test_upload_with_bad_rows_is_422_with_the_report(app, login_as):
    """422, every bad line listed on the page, nothing imported."""
    admin = login_as("admin")
    before = row_counts()
    response = upload(admin, "locations", BAD_FILES["locations"][0])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert all(f"Line {line}:" in page for line in BAD_FILES["locations"][1])
    assert "Line 2:" not in page and "Line 4:" not in page
    assert row_counts() == before


def test_upload_without_a_file_is_400(app, login_as):
    """The form sent with no file chosen."""
    response = login_as("admin").post("/catalog/import", data={"kind": "locations"})
    assert response.status_code == 400


def test_oversize_upload_is_413_and_imports_nothing(factory, sqlite_url, app, login_as):
    """Above MAX_CONTENT_LENGTH the upload is refused before it is read."""
    small = factory.get(sqlite_url, MAX_CONTENT_LENGTH=2048)
    admin = login_as("admin", client=small.test_client())
    lines = ["code"] + [f"BIG-{n:05d}" for n in range(400)]
    response = upload(admin, "locations", csv_text(*lines))
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert row_counts()["Location"] == 0
