"""Returns' dock scans as a sync action: a unit scanned offline runs the online rules.

`return_in`: subject_id is the return; payload {outcome: pass|fail, reason, note,
accept_note, photo (data: URL)}, read the way receiving's `receive` reads its own.
A return closed, rejected or already inspected meanwhile is a conflict: kept for a
person, never dropped and never applied.
"""
from ..catalog.stock import StockError
from ..extensions import db
from ..receiving.inspection import InspectionError
from ..receiving.scan_actions import check_receive, payload_photos, payload_text
from ..sync.actions import Conflict, Rejected, register
from . import dock, states
from .models import ReturnRequest
from .services import ReturnError


def apply_return_scan(record):
    """One unit of a returned parcel, inspected as the device said."""
    rma = db.session.get(ReturnRequest, record.subject_id)
    if rma is None:
        raise Rejected("unknown return")
    if rma.status not in states.RECEIVABLE:
        raise Conflict(f"return {rma.number} is {rma.status}")
    payload = record.payload or {}
    try:
        outcome = dock.scan(rma.id, record.user_id, record.code, record.quantity,
                            outcome=payload.get("outcome", "pass"),
                            reason=payload.get("reason"), note=payload_text(payload, "note"),
                            accept_note=payload_text(payload, "accept_note"),
                            photos=payload_photos(payload), device_id=record.device_id)
    except (ReturnError, InspectionError, StockError) as error:
        raise Rejected(str(error)) from error
    if outcome.needs_reason:
        # Fine on the device, but another unit got there first: a person decides.
        raise Conflict(outcome.message)
    if not outcome.ok:
        raise Rejected(outcome.message)
    return outcome.message


register("return_in", roles={"receiver", "supervisor"}, needs=("subject_id",),
         apply=apply_return_scan, check=check_receive)
