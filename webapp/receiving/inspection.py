"""检验 as a service that takes a source: a receipt line now, a returned item later.

Whatever the source, a pass puts the units in its receiving area as sellable
stock and a fail puts them in the defective store (残品库) with a reason, each
through the ledger with the source named on the movement.
"""
from dataclasses import dataclass
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..catalog.models import Location
from ..catalog.stock import move_stock
from ..extensions import db
from .models import FAIL_REASONS, OUTCOMES, Inspection, InspectionPhoto

# Magic numbers of the image types a phone camera gives; what the client claims is ignored.
_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
MAX_NOTE = 500


class InspectionError(ValueError):
    """An inspection that cannot be recorded; the message is shown to the person."""


@dataclass(frozen=True)
class Source:
    """Where inspected units come from and where passed ones go.

    `ledger_reason` is the stock movement's reason for passed units ('receipt' for
    a receipt, 'return' for a return); `label` names the source line on the ledger.
    """

    kind: str
    id: int
    line_id: int | None
    receiving_location_id: int
    ledger_reason: str

    @property
    def label(self):
        """The ledger's `source` text: which document line moved the stock."""
        return f"{self.kind}-line:{self.line_id}" if self.line_id else f"{self.kind}:{self.id}"


def defective_store():
    """The defective store (残品库): the first active location of type 'defective'."""
    store = db.session.scalar(select(Location).where(
        Location.type == "defective", Location.active.is_(True)).order_by(Location.code))
    if store is None:
        raise InspectionError(_("There is no defective store (残品库); an admin must add one."))
    return store


def inspect(source, product_id, quantity, outcome, *, reason=None, note="", lot="",
            expiry=None, photos=(), user_id=None, device_id=None):
    """Record one inspection and move its units through the ledger; return it."""
    if outcome not in OUTCOMES:
        raise InspectionError(_("Unknown inspection outcome."))
    if outcome == "fail" and reason not in FAIL_REASONS:
        raise InspectionError(_("Choose why the units failed inspection."))
    if outcome == "fail" and reason == "other" and not (note or "").strip():
        raise InspectionError(_("Say what is wrong (reason: other)."))
    to_location = (source.receiving_location_id if outcome == "pass"
                   else defective_store().id)
    movement = move_stock(product_id, quantity, to_location_id=to_location, user_id=user_id,
                          device_id=device_id, source=source.label,
                          reason=source.ledger_reason if outcome == "pass" else "defective")
    db.session.flush()
    record = Inspection(source_kind=source.kind, source_id=source.id,
                        source_line_id=source.line_id, product_id=product_id,
                        quantity=quantity, outcome=outcome,
                        reason=reason if outcome == "fail" else None,
                        note=(note or "").strip()[:MAX_NOTE], lot=lot or "", expiry=expiry,
                        location_id=to_location, movement_id=movement.id, user_id=user_id,
                        device_id=device_id)
    record.photos = [InspectionPhoto(content_type=kind, data=data) for data, kind in photos]
    db.session.add(record)
    db.session.flush()
    return record


def check_photo(data):
    """(data, content type) of an uploaded photo, or InspectionError: size and type."""
    limit = current_app.config.get("MAX_PHOTO_BYTES", 1024 * 1024)
    if not data:
        raise InspectionError(_("The photo is empty."))
    if len(data) > limit:
        raise InspectionError(_("The photo is larger than %(kb)d KB.", kb=limit // 1024))
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return data, kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return data, "image/webp"
    raise InspectionError(_("The photo must be a JPEG, PNG or WebP image."))


def inspections_of(kind, source_id):
    """Every inspection of a source, oldest first."""
    return db.session.scalars(select(Inspection).where(
        Inspection.source_kind == kind, Inspection.source_id == source_id)
        .order_by(Inspection.id)).all()

