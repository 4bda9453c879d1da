"""Courier handoff (交接): manifests per carrier, scanning parcels, signing over."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..catalog.barcodes import read_scan
from ..catalog.plain_codes import clean
from ..extensions import db
from ..locks import OPENING_MANIFEST, hold
from ..packing.models import Parcel, Shipment
from ..timeutil import aware, utcnow
from .models import CarrierCutoff, Manifest, ManifestParcel

ACTIVE = ("expected", "scanned")


class HandoffError(ValueError):
    """A handoff action that is not allowed; the message is shown."""


@dataclass
class ScanOutcome:
    """The verdict on one scanned parcel; `kind` drives the sound and the colour."""

    ok: bool
    message: str
    kind: str = "ok"   # ok, duplicate, refused, conflict


def _zone():
    """The warehouse's time zone: daily cut-offs are wall-clock times there."""
    return ZoneInfo(current_app.config.get("WAREHOUSE_TIMEZONE", "Asia/Shanghai"))


def next_cutoff(carrier, now):
    """The next daily cut-off of a carrier after `now`, or None when it has none."""
    row = db.session.get(CarrierCutoff, carrier)
    if row is None:
        return None
    local = now.astimezone(_zone())
    hours, minutes = (int(part) for part in row.daily_cutoff.split(":"))
    moment = datetime.combine(local.date(), time(hours, minutes), tzinfo=_zone())
    return moment if moment > local else moment + timedelta(days=1)


def open_manifest(carrier, now=None):
    """The carrier's open manifest, opening the next one when the cut-off has passed.

    Opening takes a per-carrier lock and looks again under it: two booking jobs that
    both found none open each opened one, and the carrier's parcels were split over
    two manifests."""
    now = now or utcnow()
    current = _current_manifest(carrier)
    if _usable(current, now):
        return current
    hold(OPENING_MANIFEST, carrier)  # no table has a row per carrier to lock
    current = _current_manifest(carrier)
    if _usable(current, now):
        return current
    if current is not None:
        current.status, current.closed_at = "closed", now
    cutoff = next_cutoff(carrier, now)
    manifest = Manifest(carrier=carrier, status="open", opened_at=now, cutoff_at=cutoff,
                        pickup_date=(cutoff or now).astimezone(_zone()).date())
    db.session.add(manifest)
    db.session.flush()
    return manifest


def _current_manifest(carrier):
    """The carrier's newest open manifest, read afresh, or None."""
    return db.session.scalar(select(Manifest).where(
        Manifest.carrier == carrier, Manifest.status == "open").order_by(Manifest.id.desc())
        .limit(1).execution_options(populate_existing=True))


def _usable(manifest, now):
    """True when parcels may still join this open manifest (its cut-off is ahead)."""
    return manifest is not None and (manifest.cutoff_at is None or aware(manifest.cutoff_at) > now)


def add_shipment(shipment_id):
    """Put a booked shipment's parcels on their carrier's open manifest; re-runnable."""
    shipment = db.session.get(Shipment, shipment_id)
    if shipment.order.status == "cancelled":
        return  # kept back: it never joins a manifest
    for parcel in shipment.parcels:
        if _active_membership(parcel.id) is None:
            manifest = open_manifest(shipment.carrier)
            db.session.add(ManifestParcel(manifest_id=manifest.id, parcel_id=parcel.id))
    db.session.flush()


def _active_membership(parcel_id):
    """The manifest row a parcel is expected or scanned on now, if any."""
    return db.session.scalar(select(ManifestParcel).where(
        ManifestParcel.parcel_id == parcel_id, ManifestParcel.status.in_(ACTIVE)).limit(1))


def close_manifest(manifest_id, user_id):
    """A supervisor closes a manifest: later parcels go to a new one."""
    manifest = _manifest(manifest_id)
    if manifest.status != "open":
        raise HandoffError(_("Manifest %(code)s is already closed.", code=manifest.code))
    manifest.status, manifest.closed_at, manifest.closed_by_id = "closed", utcnow(), user_id
    return manifest


def set_daily_cutoff(carrier, text):
    """Set (HH:MM) or clear ('') a carrier's daily cut-off."""
    text = (text or "").strip()
    row = db.session.get(CarrierCutoff, carrier)
    if not text:
        if row is not None:
            db.session.delete(row)
        return None
    try:
        parsed = datetime.strptime(text, "%H:%M")
    except ValueError as error:
        raise HandoffError(_("Enter the cut-off as hours:minutes, e.g. 17:00.")) from error
    if row is None:
        row = CarrierCutoff(carrier=carrier)
        db.session.add(row)
    row.daily_cutoff = parsed.strftime("%H:%M")
    return row


def _manifest(manifest_id, lock=False):
    """A manifest by id, or HandoffError."""
    query = select(Manifest).where(Manifest.id == manifest_id)
    manifest = db.session.scalar(query.with_for_update() if lock else query)
    if manifest is None:
        raise HandoffError(_("No such manifest."))
    return manifest


def counts(manifest):
    """Expected, scanned and missing parcels of a manifest."""
    active = [m for m in manifest.members if m.status in ACTIVE]
    scanned = sum(1 for m in active if m.status == "scanned")
    return {"expected": len(active), "scanned": scanned, "missing": len(active) - scanned}


def find_parcel(raw_code):
    """The parcel whose tracking number the code holds, or None (the one parse of a scan)."""
    code = (read_scan(raw_code).text or "").upper()
    if not code or len(code) > 40:
        return None
    return db.session.scalar(select(Parcel).where(Parcel.tracking_number == code))


def scan(manifest_id, raw_code, user_id, scanned_at=None):
    """Judge one scanned parcel label against the manifest and mark it taken."""
    manifest = _manifest(manifest_id, lock=True)
    if manifest.status == "signed":
        return ScanOutcome(False, _("Manifest %(code)s is signed: nothing more can be "
                                    "scanned on it.", code=manifest.code), "refused")
    parcel = find_parcel(raw_code)
    if parcel is None:
        return ScanOutcome(False, _("Unknown parcel %(code)s: not a label of ours.",
                                    code=clean(raw_code)[:40]), "refused")
    refusal = _refusal(manifest, parcel)
    if refusal is not None:
        return refusal
    member = _active_membership(parcel.id)
    if member is not None and member.status == "scanned" and member.manifest_id == manifest.id:
        return ScanOutcome(False, _("%(tracking)s is already scanned.",
                                    tracking=parcel.tracking_number), "duplicate")
    if member is None or member.manifest_id != manifest.id:
        member = _move_here(manifest, parcel, member)
    member.status, member.scanned_at, member.scanned_by_id = "scanned", scanned_at or utcnow(), user_id
    db.session.flush()
    return ScanOutcome(True, _("%(tracking)s · order %(order)s: %(n)d of %(total)d.",
                               tracking=parcel.tracking_number, order=parcel.shipment.order.number,
                               **_progress(manifest)))


def _progress(manifest):
    """n scanned of total, for the message after a good scan (one aggregate query:
    loading a 1,000-parcel manifest's rows for every scan made a handoff quadratic)."""
    db.session.flush()
    total, scanned = db.session.execute(select(
        func.count(), func.count().filter(ManifestParcel.status == "scanned")).where(
        ManifestParcel.manifest_id == manifest.id,
        ManifestParcel.status.in_(ACTIVE))).one()
    return {"n": scanned, "total": total}


def _refusal(manifest, parcel):
    """Why a parcel may not go on this manifest, or None."""
    order = parcel.shipment.order
    if parcel.shipment.carrier != manifest.carrier:
        return ScanOutcome(False, _("%(tracking)s is for carrier %(other)s, not %(carrier)s: "
                                    "keep it back.", tracking=parcel.tracking_number,
                                    other=parcel.shipment.carrier, carrier=manifest.carrier),
                           "refused")
    if order.status == "cancelled":
        return ScanOutcome(False, _("Order %(order)s was cancelled: keep this parcel back.",
                                    order=order.number), "conflict")
    handed = db.session.scalar(select(Manifest).join(ManifestParcel).where(
        ManifestParcel.parcel_id == parcel.id, ManifestParcel.status == "scanned",
        Manifest.status == "signed").limit(1))
    if handed is not None:
        return ScanOutcome(False, _("%(tracking)s was already handed over on %(code)s.",
                                    tracking=parcel.tracking_number, code=handed.code), "refused")
    return None


def _move_here(manifest, parcel, member):
    """A parcel of this carrier that sat on another manifest (or none) joins this one."""
    note = ""
    if member is not None:
        member.status = "left"
        member.note = _("Scanned onto %(code)s.", code=manifest.code)
        note = _("Came from %(code)s.", code=member.manifest.code)
    existing = db.session.scalar(select(ManifestParcel).where(
        ManifestParcel.manifest_id == manifest.id, ManifestParcel.parcel_id == parcel.id))
    if existing is not None:
        existing.note = note or existing.note
        return existing
    member = ManifestParcel(manifest_id=manifest.id, parcel_id=parcel.id, note=note)
    db.session.add(member)
    return member


def withdraw_parcels(order_id):
    """An order cancelled after packing: its parcels leave every unsigned manifest."""
    rows = db.session.scalars(select(ManifestParcel).join(Parcel).join(Shipment).join(Manifest)
                              .where(Shipment.order_id == order_id, Manifest.status != "signed",
                                     ManifestParcel.status.in_(ACTIVE))).all()
    for row in rows:
        row.status, row.note = "withdrawn", _("Order cancelled.")
    return db.session.scalar(select(func.count()).select_from(Parcel).join(Shipment)
                             .where(Shipment.order_id == order_id))


def member_rows(manifest):
    """Every parcel of the manifest with its order, missing ones first."""
    rank = {"expected": 0, "scanned": 1, "moved": 2, "left": 3, "withdrawn": 4}
    return sorted(manifest.members, key=lambda m: (rank.get(m.status, 9), m.id))


def offline_copy(manifest):
    """What a phone needs to judge this manifest's scans offline: every parcel on it."""
    return {"subject_id": manifest.id, "code": manifest.code, "carrier": manifest.carrier,
            "status": manifest.status,
            "parcels": [{"tracking_number": m.parcel.tracking_number, "status": m.status,
                         "order": m.parcel.shipment.order.number}
                        for m in member_rows(manifest)]}


def manifests_for_handoff(limit=50):
    """Manifests still to hand over (open or closed), and the latest signed ones."""
    waiting = db.session.scalars(select(Manifest).where(Manifest.status != "signed")
                                 .order_by(Manifest.carrier, Manifest.id)).all()
    signed = db.session.scalars(select(Manifest).where(Manifest.status == "signed")
                                .order_by(Manifest.signed_at.desc()).limit(limit)).all()
    return waiting, signed


def parcel_count_expected(manifest_id):
    """How many parcels a manifest expects (for lists)."""
    return db.session.scalar(select(func.count()).select_from(ManifestParcel).where(
        ManifestParcel.manifest_id == manifest_id, ManifestParcel.status.in_(ACTIVE)))
