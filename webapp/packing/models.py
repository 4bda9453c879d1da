"""Parcels and shipments: what a verified order is packed into and booked as."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime

from ..extensions import db
from ..timeutil import utcnow

SHIPMENT_STATES = ("queued", "booking", "booked", "failed")


class Shipment(db.Model):
    """The booking of an order's parcels with its carrier, done by a packing job."""

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), unique=True)
    carrier: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    packed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    booked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    parcels: Mapped[list["Parcel"]] = relationship(back_populates="shipment",
                                                   order_by="Parcel.id",
                                                   cascade="all, delete-orphan")
    order = relationship("Order")


class Parcel(db.Model):
    """One box: weight and size, and the tracking number its carrier issued."""

    __table_args__ = (
        CheckConstraint("weight_g > 0", name="parcel_weight_positive"),
        CheckConstraint("length_mm > 0 AND width_mm > 0 AND height_mm > 0", name="parcel_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"),
                                             index=True)
    weight_g: Mapped[int]
    length_mm: Mapped[int]
    width_mm: Mapped[int]
    height_mm: Mapped[int]
    tracking_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    label_svg: Mapped[str | None] = mapped_column(Text)  # rendered by the packing job

    shipment: Mapped[Shipment] = relationship(back_populates="parcels")


class CarrierBooking(db.Model):
    """A booking as the built-in carrier keeps it, under the caller's idempotency key.

    This is the carrier's side of the booking: a retried job that sends the same
    key gets the numbers of the first booking back, never a second booking.
    """

    __table_args__ = (UniqueConstraint("carrier", "idempotency_key",
                                       name="uq_carrier_booking_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    last_serial: Mapped[int]
    tracking_numbers: Mapped[str] = mapped_column(Text)  # comma-separated, in parcel order
    status: Mapped[str] = mapped_column(String(16), default="booked")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
