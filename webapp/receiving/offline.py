"""The offline copy of a receipt: what a handheld needs to receive it with no network
(static/js/receive-rules.js judges scans from it as services.scan does)."""
from sqlalchemy import select

from ..catalog.models import Location
from ..extensions import db
from ..sync.offline import _codes, catalog_codes
from . import putaway


def receipt_payload(receipt, user_id):
    """The receipt, its lines with expected and received units and every code each
    product answers to, and the catalogue's codes (an unexpected item is told from an
    unknown code offline as online)."""
    lines = [{"line_id": line.id, "line_no": line.line_no, "sku": line.sku,
              "product_id": line.product_id,
              "name": line.product.name if line.product else "",
              "expected_qty": line.expected_qty, "received_qty": line.received_qty,
              "passed_qty": line.passed_qty, "failed_qty": line.failed_qty,
              "unexpected": line.unexpected, "problem": line.problem, "lot": line.lot,
              **(_codes(line.product) if line.product else {"barcodes": [], "keys": []})}
             for line in receipt.lines]
    return {"subject_id": receipt.id, "number": receipt.number, "status": receipt.status,
            "supplier": receipt.supplier, "reference": receipt.reference,
            "user_id": user_id, "lines": lines, "catalog": catalog_codes()}


def putaway_payload(run, user_id):
    """A put-away run for a handheld to walk with no network: its tasks still to do in
    walking order (bin, product with every code it answers to, units), the storage
    bins a person may put stock in instead (an override), the other locations (refused
    as "not a storage bin", as online) and the catalogue's codes."""
    locations = db.session.execute(select(Location.code, Location.type, Location.active)).all()
    tasks = [_putaway_task(task) for task in run.tasks if task.status == "pending"]
    return {"subject_id": run.id, "number": _source_number(run), "status": run.status,
            "user_id": user_id, "tasks": tasks,
            "bins": sorted(c for c, kind, active in locations if kind == "storage" and active),
            "other_locations": sorted(c for c, kind, active in locations
                                      if not (kind == "storage" and active)),
            "catalog": catalog_codes()}


def _putaway_task(task):
    """One task as the device shows and judges it."""
    bin_ = task.suggested
    return {"task_id": task.id, "walk": task.walk, "sequence": task.sequence,
            "quantity": task.quantity, "status": task.status,
            "location_confirmed": task.location_confirmed,
            "location_code": task.location.code if task.location_confirmed else None,
            "from_code": task.from_location.code,
            "suggested": {"code": bin_.code, "zone": bin_.zone, "aisle": bin_.aisle,
                          "bay": bin_.bay, "level": bin_.level},
            "product": {"id": task.product_id, "sku": task.product.sku,
                        "name": task.product.name, **_codes(task.product)}}


def _source_number(run):
    """What the receiver reads for the run's source, as the put-away screen names it
    online (a receipt's number, a cancelled order's, a return's); its kind and id when
    the source is gone."""
    return putaway.source_label(run) or f"{run.source_kind} {run.source_id}"
