"""Reorder points and quantities (库存监控), as the supervisor sets them per product.

The stock watch KPI shows a product as low when its available units fall to its
reorder point (its own, else DEFAULT_REORDER_POINT); the reorder quantity is how
many to order then. Changes go through the audit trail (Product.__audited__):
who changed which product's point, from what to what, and when.
"""
from flask_babel import gettext as _
from sqlalchemy import or_

from ..catalog.models import Product
from ..extensions import db
from ..limits import MAX_REORDER_UNITS, whole_number
from .kpis import shelf_stock

SHOWN = 50
MAX_QUERY_CHARS = 64


class ReorderError(ValueError):
    """Input that cannot be a reorder point or quantity; the message is shown."""


def rows(text="", limit=SHOWN, product_ids=None):
    """Active products matching `text` (SKU or name), the most urgent first: id, SKU,
    name, available units, the point in force, its own point and quantity."""
    query, available, point = shelf_stock(Product.id, Product.sku, Product.name,
                                          Product.reorder_point, Product.reorder_qty)
    text = (text or "").strip()[:MAX_QUERY_CHARS]
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Product.sku.ilike(pattern, escape="\\"),
                                Product.name.ilike(pattern, escape="\\")))
    if product_ids is not None:
        query = query.where(Product.id.in_(product_ids))
    query = query.order_by(available - point, Product.sku).limit(limit)
    return [{"id": pid, "sku": sku, "name": name, "own_point": own, "qty": qty,
             "available": avail, "point": in_force, "low": avail <= in_force}
            for pid, sku, name, own, qty, avail, in_force in db.session.execute(query)]


def parse_units(text, low, what):
    """A whole number of units in [low, MAX_REORDER_UNITS] from a form field, or None for
    a blank one; ReorderError naming `what` otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    value = whole_number(text, None, low, MAX_REORDER_UNITS)
    if value is None:
        raise ReorderError(_("%(what)s must be a whole number from %(low)d to %(high)d.",
                             what=what, low=low, high=MAX_REORDER_UNITS))
    return value


def set_reorder(product_id, point, qty):
    """Set a product's own reorder point (None: the default applies) and reorder quantity
    (None: not set). The caller commits; the audit trail records the change."""
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise ReorderError(_("No such product."))
    product.reorder_point, product.reorder_qty = point, qty
    db.session.flush()
    return product
