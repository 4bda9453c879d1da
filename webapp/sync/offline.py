"""The offline copy of a pick list: what a device needs to judge scans by itself."""
from sqlalchemy import select

from ..catalog.barcodes import lookup_keys
from ..catalog.models import Location
from ..extensions import db


def pick_list_payload(pick_list):
    """Tasks with their locations and every code each product answers to."""
    tasks = [_task(task) for task in pick_list.tasks]
    known = db.session.scalars(select(Location.code).where(Location.active.is_(True))).all()
    return {"pick_list_id": pick_list.id, "user_id": pick_list.picker_id,
            "status": pick_list.status, "tasks": tasks, "known_locations": known}


def _task(task):
    """One task as JSON."""
    product, location = task.product, task.location
    barcodes = [b.code for b in product.barcodes]
    keys = sorted({key for code in barcodes for key in lookup_keys(code)} | {product.sku})
    return {
        "task_id": task.id, "sequence": task.sequence, "kind": task.kind,
        "status": task.status, "quantity": task.quantity, "picked_qty": task.picked_qty,
        "location_confirmed": task.location_confirmed, "cart_slot": task.cart_slot,
        "order_id": task.order_id,
        "location": {"id": location.id, "code": location.code, "zone": location.zone,
                     "aisle": location.aisle, "bay": location.bay, "level": location.level},
        "product": {"id": product.id, "sku": product.sku, "name": product.name,
                    "image_url": product.image_url, "barcodes": barcodes, "keys": keys},
    }
