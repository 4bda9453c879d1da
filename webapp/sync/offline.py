"""The offline copies of a pick list and of an order being verified: what a device
needs to judge scans by itself (static/js/pick-rules.js, static/js/verify-rules.js)."""
import hashlib

from sqlalchemy import select

from ..catalog.barcodes import lookup_keys
from ..catalog.models import Barcode, Location, Product
from ..extensions import db
from ..packing.services import order_barcode


def pick_list_payload(pick_list, catalog_version=None):
    """Tasks with their locations, every code each product answers to, and the
    catalogue's codes (another product's code is a wrong item, as online); only
    their version when the device says it holds that version already."""
    tasks = [_task(task) for task in pick_list.tasks]
    known = db.session.scalars(select(Location.code).where(Location.active.is_(True))).all()
    return {"pick_list_id": pick_list.id, "user_id": pick_list.picker_id,
            "status": pick_list.status, "tasks": tasks, "known_locations": known,
            "catalog": catalog_codes(catalog_version)}


def _task(task):
    """One task as JSON."""
    product, location = task.product, task.location
    return {
        "task_id": task.id, "sequence": task.sequence, "kind": task.kind,
        "status": task.status, "quantity": task.quantity, "picked_qty": task.picked_qty,
        "location_confirmed": task.location_confirmed, "cart_slot": task.cart_slot,
        "order_id": task.order_id,
        "location": {"id": location.id, "code": location.code, "zone": location.zone,
                     "aisle": location.aisle, "bay": location.bay, "level": location.level},
        "product": {"id": product.id, "sku": product.sku, "name": product.name,
                    "image_url": product.image_url, **_codes(product)},
    }


def order_payload(order, user_id):
    """An order at the packing station: its lines, expected and verified so far, every
    code each product answers to, and the catalogue's codes. `user_id` is the packer
    who takes it along. `sku` is the line's (shown); `product_sku` the product's now
    (matched, as the server matches the product's SKU)."""
    lines = [{"line_id": line.id, "product_id": line.product_id, "sku": line.sku,
              "product_sku": line.product.sku if line.product else None,
              "name": line.product.name if line.product else "", "quantity": line.quantity,
              "verified_qty": line.verified_qty,
              **(_codes(line.product) if line.product else {"barcodes": [], "keys": []})}
             for line in order.lines]
    return {"order_id": order.id, "number": order.number, "order_code": order_barcode(order),
            "status": order.status, "user_id": user_id, "lines": lines,
            "catalog": catalog_codes()}


def catalog_codes(known_version=None):
    """Every barcode and SKU of the catalogue: offline, the device tells a wrong item
    (some other product) from a code no product has, as the server does, and in the
    server's order (barcodes before SKUs). About 15 bytes a code: 600 KB for 20,000
    products with their SKUs. The device keeps it once, apart from the orders, and
    says which version it holds: an unchanged catalogue is answered with its version
    alone (a pick list is fetched again after every sync, often on poor Wi-Fi)."""
    barcodes = sorted(db.session.scalars(select(Barcode.code)))
    skus = sorted(db.session.scalars(select(Product.sku)))
    version = hashlib.sha256("\n".join(barcodes + ["", *skus]).encode()).hexdigest()[:16]
    if known_version == version:
        return {"version": version}
    return {"version": version, "barcodes": barcodes, "skus": skus}


def _codes(product):
    """The product's barcodes as printed, and every form of them (and the SKU) a scan
    may take: the device looks a scanned code up in `keys` as the server does."""
    barcodes = [b.code for b in product.barcodes]
    keys = sorted({key for code in barcodes for key in lookup_keys(code)} | {product.sku})
    return {"barcodes": barcodes, "keys": keys}
