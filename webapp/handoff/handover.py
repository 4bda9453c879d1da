"""Handing a manifest over: missing parcels move on, orders become 'handed over'."""
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..orders.models import Order
from ..orders.states import transition
from ..packing.models import Parcel, Shipment
from ..signatures.services import signatures_for, store_signature
from ..signatures.svg import SignatureRejected
from ..timeutil import utcnow
from .models import ManifestParcel, ParcelTracking
from .services import HandoffError, _manifest, counts, open_manifest

MAX_FIELD = 120


def check_courier(courier):
    """The courier's name, company and badge or phone, trimmed; HandoffError if missing."""
    values = {key: str(courier.get(key) or "").strip() for key in ("name", "company", "badge")}
    if not values["name"] or not values["company"]:
        raise HandoffError(_("Enter the courier's name and company."))
    if not values["badge"]:
        raise HandoffError(_("Enter the courier's badge number or phone."))
    if any(len(value) > MAX_FIELD for value in values.values()):
        raise HandoffError(_("The courier's details are too long."))
    return values


def hand_over(manifest_id, user_id, courier, signatures, when=None, device_id=None):
    """Both sides sign; the scanned parcels go, the missing ones move to the next manifest.

    `signatures` holds warehouse_name, warehouse_svg and courier_svg (the drawings as
    the shared signature field posts them). Returns the manifest, now 'signed' and
    immutable.
    """
    manifest = _manifest(manifest_id, lock=True)
    if manifest.status == "signed":
        raise HandoffError(_("Manifest %(code)s is already signed.", code=manifest.code))
    if counts(manifest)["scanned"] == 0:
        raise HandoffError(_("Scan at least one parcel before signing."))
    courier = check_courier(courier)
    when = when or utcnow()
    _sign(manifest, user_id, courier, signatures, when, device_id)
    if manifest.status == "open":
        manifest.closed_at = when
    manifest.status, manifest.signed_at, manifest.signed_by_id = "signed", when, user_id
    manifest.courier_name, manifest.courier_company = courier["name"], courier["company"]
    manifest.courier_badge = courier["badge"]
    db.session.flush()
    _move_missing(manifest, when)
    scanned = [m for m in manifest.members if m.status == "scanned"]
    for member in scanned:
        _start_tracking(member.parcel, manifest.carrier, when)
    for order_id in sorted({m.parcel.shipment.order_id for m in scanned}):
        _maybe_handed_over(order_id, user_id, manifest)
    db.session.flush()
    return manifest


def _sign(manifest, user_id, courier, signatures, when, device_id):
    """Store the warehouse person's and the courier's signatures on the manifest."""
    warehouse_name = str(signatures.get("warehouse_name") or "").strip()
    try:
        store_signature(signatures.get("warehouse_svg") or "", "manifest", manifest.id,
                        warehouse_name, signer_role="warehouse", signed_by_user_id=user_id,
                        device_id=device_id, device_time=when)
        store_signature(signatures.get("courier_svg") or "", "manifest", manifest.id,
                        courier["name"], signer_company=courier["company"],
                        signer_role="courier", device_id=device_id, device_time=when)
    except SignatureRejected as error:
        raise HandoffError(str(error)) from error


def signature_blocks(manifest):
    """(role label, signer, signature) of the warehouse person and the courier."""
    found = {s.signer_role: s for s in signatures_for("manifest", manifest.id)}
    return [(label, found[role]) for role, label in
            (("warehouse", "仓库 Warehouse"), ("courier", "快递员 Courier")) if role in found]


def _move_missing(manifest, when):
    """Parcels not scanned go on the carrier's next open manifest, with a note."""
    missing = [m for m in manifest.members if m.status == "expected"]
    if not missing:
        return
    target = open_manifest(manifest.carrier, when)
    for member in missing:
        member.status = "moved"
        member.note = _("Missing at handoff; moved to %(code)s.", code=target.code)
        db.session.add(ManifestParcel(
            manifest_id=target.id, parcel_id=member.parcel_id,
            note=_("Missing at the handoff of %(code)s.", code=manifest.code)))
    db.session.flush()


def _start_tracking(parcel, carrier, when):
    """From now on the parcel is the carrier's: its tracking begins."""
    if db.session.get(ParcelTracking, parcel.id) is None:
        db.session.add(ParcelTracking(parcel_id=parcel.id, carrier=carrier, handed_over_at=when,
                                      tracking_number=parcel.tracking_number))


def _maybe_handed_over(order_id, user_id, manifest):
    """An order is handed over once every one of its parcels is."""
    order = db.session.get(Order, order_id)
    parcel_ids = db.session.scalars(select(Parcel.id).join(Shipment)
                                    .where(Shipment.order_id == order_id)).all()
    tracked = db.session.scalars(select(ParcelTracking.parcel_id)
                                 .where(ParcelTracking.parcel_id.in_(parcel_ids))).all()
    if order.status == "packed" and set(tracked) == set(parcel_ids):
        transition(order, "handed_over", user_id, f"manifest {manifest.code}")
