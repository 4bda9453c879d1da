"""Handoff scans and signatures as sync actions: a phone may take a manifest offline.

A scan names its manifest in `subject_id`; the signatures travel in `payload`
(the courier's details and both drawings as SVG). Applied with the same rules as
online: a parcel whose order was cancelled, or a manifest signed meanwhile,
comes back as a conflict, never silently dropped.
"""
from ..extensions import db
from ..sync.actions import Conflict, Rejected, register
from . import handover, services
from .models import Manifest

ROLES = {"courier", "packer", "supervisor"}
PAYLOAD_FIELDS = ("courier_name", "courier_company", "courier_badge", "warehouse_name",
                  "warehouse_svg", "courier_svg")


def apply_scan(record):
    """One parcel scanned at handoff."""
    manifest = db.session.get(Manifest, record.subject_id)
    if manifest is None:
        raise Rejected("unknown manifest")
    outcome = services.scan(manifest.id, record.code, record.user_id,
                            scanned_at=record.device_time)
    if outcome.ok or outcome.kind == "duplicate":
        return outcome.message
    if outcome.kind == "conflict" or manifest.status == "signed":
        raise Conflict(outcome.message)
    raise Rejected(outcome.message)


def check_sign(record):
    """The payload must hold the courier's details and both drawings as text."""
    payload = record.payload if isinstance(record.payload, dict) else None
    if payload is None or not all(isinstance(payload.get(k, ""), str) for k in PAYLOAD_FIELDS):
        return "payload must hold " + ", ".join(PAYLOAD_FIELDS)
    return None


def apply_sign(record):
    """Both sides signed on the phone: hand the manifest over."""
    manifest = db.session.get(Manifest, record.subject_id)
    if manifest is None:
        raise Rejected("unknown manifest")
    if manifest.status == "signed":
        raise Conflict(f"manifest {manifest.code} was signed already")
    payload = record.payload
    courier = {k: payload.get(f"courier_{k}", "") for k in ("name", "company", "badge")}
    try:
        handover.hand_over(manifest.id, record.user_id, courier, payload,
                           device_id=record.device_id)
    except services.HandoffError as error:
        raise Rejected(str(error)) from error
    return f"{manifest.code} signed"


register("handoff", roles=ROLES, needs=("subject_id",), apply=apply_scan)
register("handoff_sign", roles=ROLES, needs=("subject_id",), apply=apply_sign,
         check=check_sign)
