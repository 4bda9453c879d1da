"""Receiving's scans as sync actions: a scan made offline runs the online rules.

`receive`: subject_id is the receipt, line_id the line when the device knows it,
payload {outcome: pass|fail, reason, note, accept_note, photo (data: URL)}.
`receive_close`: subject_id is the receipt, payload {delivered_by, company, receiver_svg,
deliverer_svg}: the receipt closed on the handheld with both signatures, no network.
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


def _open_receipt(record):
    """The scan's receipt; a conflict when it was closed or cancelled meanwhile."""
    receipt = db.session.get(Receipt, record.subject_id)
    if receipt is None:
        raise Rejected("unknown receipt")
    if receipt.status not in services.OPEN_STATES:
        raise Conflict(f"receipt {receipt.number} is {receipt.status}")
    return receipt


def apply_receive(record):
    """A receiving scan: conflicts when the receipt was closed or cancelled meanwhile."""
    receipt = _open_receipt(record)
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


CLOSE_FIELDS = ("delivered_by", "company", "receiver_svg", "deliverer_svg")


def check_close(record):
    """Both names and both drawings must be there before the close is stored."""
    payload = record.payload or {}
    missing = [name for name in CLOSE_FIELDS if not str(payload.get(name) or "").strip()]
    return f"payload needs {', '.join(missing)}" if missing else None


def apply_close(record):
    """A receipt closed offline: the online close with the drawings the device kept.
    Anything that stops it (closed or cancelled meanwhile, held, nothing received after
    all) is a conflict: the delivering party signed and left, so a person decides."""
    receipt = _open_receipt(record)
    payload = record.payload or {}
    try:
        services.close(receipt.id, record.user_id, payload.get("delivered_by"),
                       payload.get("company"), receiver_svg=str(payload["receiver_svg"]),
                       deliverer_svg=str(payload["deliverer_svg"]),
                       note="closed on the handheld offline", device_id=record.device_id)
    except services.ReceivingError as error:
        raise Conflict(str(error)) from error
    return f"receipt {receipt.number} closed; put-away is planned when the tasks are opened"


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
register("receive_close", roles={"receiver", "supervisor"}, needs=("subject_id",),
         apply=apply_close, check=check_close)
register("putaway", roles={"receiver", "supervisor"}, needs=("subject_id", "line_id"),
         apply=apply_putaway)
