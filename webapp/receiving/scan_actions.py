"""Receiving's scans as sync actions: a scan made offline runs the online rules.

`receive`: subject_id is the receipt, line_id the line when the device knows it,
payload {outcome: pass|fail, reason, note, accept_note, photo (data: URL)}.
`putaway`: subject_id is the put-away run, line_id the task.
"""
import base64

from ..catalog.stock import StockError
from ..extensions import db
from ..sync.actions import Conflict, Rejected, register
from . import inspection, services, walk
from .models import Receipt

_TEXT_LIMIT = 500


def payload_text(payload, name):
    """A short text field of the payload."""
    return str(payload.get(name) or "")[:_TEXT_LIMIT]


def payload_photos(payload):
    """The photo a device attached, checked as an upload is; [] when none."""
    value = payload.get("photo")
    if not value:
        return []
    header, _, data = str(value).partition(",")
    if not header.startswith("data:image/") or ";base64" not in header:
        raise Rejected("photo must be a data: URL of an image")
    try:
        return [inspection.check_photo(base64.b64decode(data, validate=True))]
    except (ValueError, inspection.InspectionError) as error:
        raise Rejected(f"photo: {error}") from error


def check_receive(record):
    """The payload's outcome must be known before the scan is stored."""
    outcome = (record.payload or {}).get("outcome", "pass")
    return None if outcome in ("pass", "fail") else "payload.outcome must be pass or fail"


def apply_receive(record):
    """A receiving scan: conflicts when the receipt was closed or cancelled meanwhile."""
    receipt = db.session.get(Receipt, record.subject_id)
    if receipt is None:
        raise Rejected("unknown receipt")
    if receipt.status not in services.OPEN_STATES:
        raise Conflict(f"receipt {receipt.number} is {receipt.status}")
    payload = record.payload or {}
    try:
        outcome = services.scan(
            receipt.id, record.user_id, record.code, record.quantity,
            device_id=record.device_id, line_id=record.line_id,
            outcome=payload.get("outcome", "pass"), reason=payload.get("reason"),
            note=payload_text(payload, "note"), accept_note=payload_text(payload, "accept_note"),
            photos=payload_photos(payload))
    except (services.ReceivingError, inspection.InspectionError, StockError) as error:
        raise Rejected(str(error)) from error
    if outcome.needs_reason:
        # Judged fine on the device, but the server's count says otherwise now (another
        # device received the same line): a person must decide, so keep it.
        raise Conflict(outcome.message)
    if not outcome.ok:
        raise Rejected(outcome.message)
    return outcome.message


def apply_putaway(record):
    """A put-away scan: conflicts when its task was done or replanned meanwhile."""
    try:
        outcome = walk.scan(record.subject_id, record.user_id, record.code,
                            device_id=record.device_id, task_id=record.line_id)
    except walk.TaskGone as error:
        raise Conflict(str(error)) from error
    except StockError as error:
        raise Conflict(f"stock already gone: {error}") from error
    except walk.WalkError as error:
        raise Rejected(str(error)) from error
    if not outcome.ok:
        raise Rejected(outcome.message)
    return outcome.message


register("receive", roles={"receiver", "supervisor"}, needs=("subject_id",),
         apply=apply_receive, check=check_receive)
register("putaway", roles={"receiver", "supervisor"}, needs=("subject_id", "line_id"),
         apply=apply_putaway)
