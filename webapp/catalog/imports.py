"""CSV import of locations, products with barcodes, and opening stock.

All or nothing: every row is checked inside a savepoint; if any row fails the
savepoint is rolled back and the report lists each failing row, so a file is
never half imported and the person fixes all problems in one pass.
"""
import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from .models import Location, Product
from .services import MAX_INT, CatalogError, save_location, save_product
from .stock import StockError, move_stock

MAX_ROWS = 50_000

COLUMNS = {
    "locations": ("code", "type", "zone", "aisle", "bay", "level", "warehouse"),
    "products": ("sku", "name", "barcodes", "image_url"),
    "stock": ("sku", "location", "quantity"),
}
REQUIRED = {"locations": ("code",), "products": ("sku", "name"),
            "stock": ("sku", "location", "quantity")}
# The column that names a row; the same name twice in one file is ambiguous.
KEYS = {"locations": "code", "products": "sku"}


@dataclass
class ImportReport:
    """What an import did: rows applied, or the errors that stopped it."""

    kind: str
    applied: int = 0
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        """True when every row was applied."""
        return not self.errors


def import_csv(kind, data, user_id=None):
    """Import `data` (bytes or str) as `kind`; return an ImportReport."""
    report = ImportReport(kind)
    rows = _read_rows(kind, data, report)
    if report.errors:
        return report
    savepoint = db.session.begin_nested()
    first_lines = {}
    for line_no, row in rows:
        try:
            _refuse_repeated_key(kind, row, line_no, first_lines)
            _apply(kind, row, user_id, line_no)
        except (CatalogError, StockError, ValueError) as error:
            report.errors.append((line_no, str(error)))
    if report.errors:
        savepoint.rollback()
    else:
        savepoint.commit()
        report.applied = len(rows)
    return report


def _read_rows(kind, data, report):
    """Decode and parse the file, checking its header; return [(line_no, row)]."""
    if kind not in COLUMNS:
        report.errors.append((0, _("Unknown import kind: %(kind)s", kind=kind)))
        return []
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.errors.append((0, _("The file is not UTF-8 text.")))
            return []
    reader = csv.DictReader(io.StringIO(data))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED[kind] if name not in header]
    if missing:
        report.errors.append((1, _("Missing columns: %(columns)s", columns=", ".join(missing))))
        return []
    reader.fieldnames = header
    rows = []
    for row in reader:
        if reader.line_num > MAX_ROWS + 1:
            report.errors.append((reader.line_num, _("Too many rows; split the file.")))
            return []
        if any((value or "").strip() for value in row.values() if isinstance(value, str)):
            rows.append((reader.line_num, row))
    if not rows:
        report.errors.append((1, _("The file has no rows.")))
    return rows


def _refuse_repeated_key(kind, row, line_no, first_lines):
    """Raise CatalogError when this row names the same location or SKU as an earlier one."""
    key = (row.get(KEYS.get(kind, "")) or "").strip()
    key = key.upper() if kind == "locations" else key
    if not key:
        return
    if key in first_lines:
        raise CatalogError(_("%(key)s is also on line %(line)d.", key=key,
                             line=first_lines[key]))
    first_lines[key] = line_no


def _apply(kind, row, user_id, line_no):
    """Apply one row."""
    if kind == "locations":
        save_location(row)
    elif kind == "products":
        existing = db.session.scalar(select(Product).where(Product.sku == (row["sku"] or "").strip()))
        save_product(row, existing)
    else:
        _opening_stock(row, user_id, line_no)


def _opening_stock(row, user_id, line_no):
    """Put opening stock on the books through the ledger."""
    sku, code = (row.get("sku") or "").strip(), (row.get("location") or "").strip().upper()
    product = db.session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise CatalogError(_("Unknown SKU: %(sku)s", sku=sku))
    location = db.session.scalar(select(Location).where(Location.code == code))
    if location is None:
        raise CatalogError(_("Unknown location: %(code)s", code=code))
    text = (row.get("quantity") or "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) <= 0:
        raise CatalogError(_("Quantity must be a whole number above zero."))
    if int(text) > MAX_INT:
        raise CatalogError(_("Quantity is too large."))
    move_stock(product.id, int(text), reason="opening", to_location_id=location.id,
               user_id=user_id, source=f"csv-import:line-{line_no}")
