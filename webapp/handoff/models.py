"""Manifests (交接单), the parcels on them, tracking events and after-sales cases."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import Date, DateTime

from ..extensions import db
from ..timeutil import utcnow

MANIFEST_STATES = ("open", "closed", "signed")
# expected: on the manifest, not scanned yet; scanned: taken by the courier;
# moved: missing at handoff, carried to the next manifest; left: scanned onto another
# manifest of the carrier before this one was signed; withdrawn: its order was cancelled.
MEMBER_STATES = ("expected", "scanned", "moved", "left", "withdrawn")
TERMINAL_EVENTS = ("delivered", "returned")


class Manifest(db.Model):
    """One carrier's pickup: the parcels handed to its courier, signed by both sides."""

    __audited__ = ("status",)  # webapp/audit/trail.py

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    pickup_date: Mapped[date] = mapped_column(Date)
    cutoff_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    courier_name: Mapped[str | None] = mapped_column(String(120))
    courier_company: Mapped[str | None] = mapped_column(String(120))
    courier_badge: Mapped[str | None] = mapped_column(String(40))  # badge number or phone

    members: Mapped[list["ManifestParcel"]] = relationship(
        back_populates="manifest", order_by="ManifestParcel.id")
    signed_by = relationship("User", foreign_keys=[signed_by_id])

    @property
    def code(self):
        """What is printed on the 交接单 and scanned to open it: MF + 8 digits."""
        return f"MF{self.id:08d}"


class ManifestParcel(db.Model):
    """A parcel's place on a manifest: expected, scanned, moved on or withdrawn."""

    __audited__ = ("status",)  # webapp/audit/trail.py

    __table_args__ = (UniqueConstraint("manifest_id", "parcel_id", name="uq_manifest_parcel"),
                      Index("ix_manifest_parcel_parcel", "parcel_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifest.id", ondelete="CASCADE"),
                                             index=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="expected")
    scanned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scanned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    manifest: Mapped[Manifest] = relationship(back_populates="members")
    parcel = relationship("Parcel")


class ParcelTracking(db.Model):
    """Where a handed-over parcel is: its latest event, and whether it needs help."""

    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id", ondelete="CASCADE"),
                                           primary_key=True)
    carrier: Mapped[str] = mapped_column(String(16))
    tracking_number: Mapped[str] = mapped_column(String(40), unique=True)
    handed_over_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(24), default="handed_over", index=True)
    last_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    parcel = relationship("Parcel")


class TrackingEvent(db.Model):
    """One carrier event, stored once however often it is polled or replayed."""

    __table_args__ = (UniqueConstraint("carrier", "event_key", name="uq_tracking_event"),
                      Index("ix_tracking_event_parcel_time", "parcel_id", "event_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id", ondelete="CASCADE"))
    carrier: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(80))  # the carrier's event id
    code: Mapped[str] = mapped_column(String(24))
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[str] = mapped_column(String(120), default="")
    source: Mapped[str] = mapped_column(String(8))  # poll or webhook
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AfterSalesCase(db.Model):
    """A delivery that failed or stalled: customer service's to-do (售后)."""

    __audited__ = ("status",)  # webapp/audit/trail.py

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"),
                                          index=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id", ondelete="CASCADE"),
                                           index=True)
    reason: Mapped[str] = mapped_column(String(24))  # an event code, or "stuck"
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    order = relationship("Order")
    parcel = relationship("Parcel")
    notes: Mapped[list["CaseNote"]] = relationship(order_by="CaseNote.id",
                                                   cascade="all, delete-orphan")


class CaseNote(db.Model):
    """What customer service did or learned about a case."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("after_sales_case.id", ondelete="CASCADE"),
                                         index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user = relationship("User")


class CarrierCutoff(db.Model):
    """A carrier's daily cut-off (HH:MM, warehouse time): its manifest closes then."""

    carrier: Mapped[str] = mapped_column(String(16), primary_key=True)
    daily_cutoff: Mapped[str] = mapped_column(String(5))
