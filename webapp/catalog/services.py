"""Catalog rules: resolving scans, creating and editing locations and products."""
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ..extensions import db
from .barcodes import read_scan
from .models import LOCATION_TYPES, Barcode, Location, Product, StockLevel, Warehouse
from .plain_codes import classify
from .scan_result import BarcodeError


MAX_INT = 2**31 - 1  # the largest INTEGER PostgreSQL stores; larger values are refused


class CatalogError(ValueError):
    """Invalid catalog input; the message is safe to show a person."""


def resolve_code(raw):
    """What a scanned code names: ("location", Location) or ("product", Product).

    Location codes are looked up first as they are typed; product codes by
    every equivalent stored form. Raises CatalogError for unknown or malformed
    (with the reason the code is malformed, e.g. a bad check digit or date).
    """
    scan = read_scan(raw)
    if not scan.text:
        raise CatalogError(_("The barcode is empty."))
    location = db.session.scalar(select(Location).where(Location.code == scan.text))
    if location:
        return "location", location
    product_id = product_for_scan(scan)
    if product_id is not None:
        return "product", db.session.get(Product, product_id)
    raise CatalogError(refusal(scan))


def product_for_scan(scan):
    """The id of the product a read scan names, or None: a product barcode in any
    stored form (only verbatim when the scan is refused), else a SKU.

    The oldest barcode wins where two products hold equivalent forms of one code:
    always the same answer (and the one the device's copies give first).
    """
    if not scan.text:
        return None
    by_code, by_sku = product_queries(scan.keys, scan.text)
    return db.session.scalar(by_code) or db.session.scalar(by_sku)


def product_queries(keys, text):
    """product_for_scan's two lookups as queries (by code, then by SKU) of a read scan's
    keys and text: values, or bind parameters for a caller that reads them as columns
    of a query of its own (picking.scan_now)."""
    return (select(Barcode.product_id).where(Barcode.code.in_(keys))
            .order_by(Barcode.id).limit(1),
            select(Product.id).where(Product.sku == text))


def product_row_for_scan(scan):
    """The Product a read scan names, or None: product_for_scan's rule, read with the
    product in one query (a receiving scan needs the row; two round trips were waste)."""
    if not scan.text:
        return None
    found = db.session.scalar(select(Product).join(Barcode, Barcode.product_id == Product.id)
                              .where(Barcode.code.in_(scan.keys))
                              .order_by(Barcode.id).limit(1))
    return found or db.session.scalar(select(Product).where(Product.sku == scan.text))


def refusal(scan):
    """What to say of a scan that names nothing: why it is malformed (in the person's
    language), else unknown."""
    if scan.errors:
        return " ".join(_translated(problem) for problem in scan.problems)
    return _("Unknown barcode %(code)s.", code=scan.code)


def _translated(problem):
    """One barcode problem in the person's language (templates: scan_result.MESSAGES)."""
    values = dict(problem["values"])
    if "name" in values:
        values["name"] = _(values["name"])  # the AI's name (gs1.AI_NAMES)
    return _(problem["template"], **values)


def stock_of_product(product_id):
    """Where a product is, largest quantities first."""
    return db.session.execute(
        select(Location, StockLevel.quantity).join(StockLevel.location)
        .where(StockLevel.product_id == product_id, StockLevel.quantity > 0)
        .order_by(StockLevel.quantity.desc(), Location.code)).all()


def stock_at_location(location_id):
    """What a location holds."""
    return db.session.execute(
        select(Product, StockLevel.quantity).join(StockLevel.product)
        .where(StockLevel.location_id == location_id, StockLevel.quantity > 0)
        .order_by(Product.sku)).all()


def default_warehouse():
    """The first warehouse, created on demand so a fresh install can add locations."""
    warehouse = db.session.scalar(select(Warehouse).order_by(Warehouse.id))
    if warehouse is None:
        warehouse = Warehouse(code="MAIN", name="Main warehouse")
        db.session.add(warehouse)
        db.session.flush()
    return warehouse


def _non_negative_int(value, label):
    """Parse a walking-position number, refusing anything but 0, 1, 2, ..."""
    text = str(value if value is not None else "").strip() or "0"
    if not (text.isascii() and text.isdigit()):
        raise CatalogError(_("%(field)s must be a whole number of 0 or more.", field=label))
    if int(text) > MAX_INT:
        raise CatalogError(_("%(field)s is too large.", field=label))
    return int(text)


def save_location(data, location=None):
    """Create or update a location from a mapping of form/CSV fields."""
    code = (data.get("code") or "").strip().upper()
    if not code or len(code) > 64 or not code.isprintable():
        raise CatalogError(_("A location code of 1 to 64 characters is required."))
    kind = (data.get("type") or "storage").strip().lower()
    if kind not in LOCATION_TYPES:
        raise CatalogError(_("Unknown location type: %(type)s", type=kind))
    clash = db.session.scalar(select(Location.id).where(Location.code == code))
    if clash and (location is None or clash != location.id):
        raise CatalogError(_("The location code %(code)s is taken.", code=code))
    warehouse = _warehouse(data.get("warehouse"))
    fields = {"aisle": _("Aisle"), "bay": _("Bay"), "level": _("Level")}
    numbers = {name: _non_negative_int(data.get(name), label) for name, label in fields.items()}
    location = location or Location()
    location.code, location.type, location.warehouse_id = code, kind, warehouse.id
    location.zone = (data.get("zone") or "").strip().upper()[:16]
    location.aisle, location.bay, location.level = (numbers[k] for k in ("aisle", "bay", "level"))
    db.session.add(location)
    db.session.flush()
    return location


def _warehouse(code):
    """The warehouse named by code, or the default one when none is given."""
    code = (code or "").strip().upper()
    if not code:
        return default_warehouse()
    warehouse = db.session.scalar(select(Warehouse).where(Warehouse.code == code))
    if warehouse is None:
        raise CatalogError(_("Unknown warehouse: %(code)s", code=code))
    return warehouse


def parse_barcode_list(text):
    """Split 'code[:symbology]' items separated by spaces, commas, | or newlines."""
    items = [item for item in _split(text) if item]
    parsed = []
    for item in items:
        code, _sep, kind = item.partition(":")
        try:
            parsed.append(classify(code, kind.strip().lower() or None))
        except BarcodeError as error:
            raise CatalogError(str(error)) from error
    return parsed


def _split(text):
    """Tokens of a barcode list."""
    for sep in ",|\n\r\t;":
        text = (text or "").replace(sep, " ")
    return text.split(" ")


def save_product(data, product=None):
    """Create or update a product and replace its barcodes."""
    sku = (data.get("sku") or "").strip()
    name = (data.get("name") or "").strip()
    if not sku or len(sku) > 64:
        raise CatalogError(_("A SKU of 1 to 64 characters is required."))
    if not name:
        raise CatalogError(_("A product name is required."))
    clash = db.session.scalar(select(Product.id).where(Product.sku == sku))
    if clash and (product is None or clash != product.id):
        raise CatalogError(_("The SKU %(sku)s is taken.", sku=sku))
    image_url = (data.get("image_url") or "").strip() or None
    if image_url and len(image_url) > 500:
        raise CatalogError(_("An image address has at most 500 characters."))
    codes = parse_barcode_list(data.get("barcodes", ""))
    _refuse_taken_barcodes([code for code, _kind in codes], product)
    sizes = _unit_size(data)
    product = product or Product()
    product.sku, product.name = sku, name[:200]
    product.image_url = image_url
    product.length_mm, product.width_mm, product.height_mm = sizes
    product.barcodes = _replace_barcodes(product.barcodes, codes)
    db.session.add(product)
    db.session.flush()
    return product


def _unit_size(data):
    """(length, width, height) in mm of one packed unit, all three or none (the packing
    station suggests a box only from known sizes)."""
    texts = [str(data.get(f) or "").strip() for f in ("length_mm", "width_mm", "height_mm")]
    if not any(texts):
        return None, None, None
    if not all(t.isascii() and t.isdigit() and 0 < int(t) <= 3000 for t in texts):
        raise CatalogError(_("A unit's size needs length, width and height, each a whole "
                             "number of millimetres from 1 to 3000 (or leave all three empty)."))
    return tuple(int(t) for t in texts)


def _replace_barcodes(current, codes):
    """The new barcode rows, reusing the rows of codes the product keeps.

    A fresh row for a kept code would be inserted before the old one is deleted
    and break the unique constraint on the code.
    """
    kept = {barcode.code: barcode for barcode in current}
    rows = []
    for code, kind in codes:
        row = kept.get(code) or Barcode(code=code)
        row.symbology = kind
        rows.append(row)
    return rows


def _refuse_taken_barcodes(codes, product):
    """A barcode names one product; refuse codes another product already holds."""
    if len(set(codes)) != len(codes):
        raise CatalogError(_("The same barcode is listed twice."))
    if not codes:
        return
    query = select(Barcode.code, Product.sku).join(Barcode.product).where(Barcode.code.in_(codes))
    if product is not None and product.id:
        query = query.where(Barcode.product_id != product.id)
    taken = db.session.execute(query).first()
    if taken:
        raise CatalogError(_("Barcode %(code)s already belongs to %(sku)s.",
                             code=taken.code, sku=taken.sku))


def search_products(text_filter="", limit=50):
    """Products whose SKU, name or barcode contains the filter."""
    query = select(Product).order_by(Product.sku).limit(limit)
    if text_filter:
        pattern = f"%{text_filter}%"
        query = query.where(or_(Product.sku.ilike(pattern), Product.name.ilike(pattern),
                                Product.barcodes.any(Barcode.code.like(pattern))))
    return db.session.scalars(query).all()


def search_locations(text_filter="", limit=50):
    """Locations whose code contains the filter, in walking order."""
    query = select(Location).order_by(Location.zone, Location.aisle, Location.bay,
                                      Location.level, Location.code).limit(limit)
    if text_filter:
        query = query.where(Location.code.ilike(f"%{text_filter}%"))
    return db.session.scalars(query).all()


def counts():
    """How big the catalog is, for the admin home."""
    return {
        "locations": db.session.scalar(select(func.count(Location.id))),
        "products": db.session.scalar(select(func.count(Product.id))),
    }
