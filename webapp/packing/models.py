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
    # The key the carrier books this shipment under, committed before the first call
    # and sent again by every retry: a carrier that honours it books once.
    booking_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    packed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("packing_station.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    booked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    parcels: Mapped[list["Parcel"]] = relationship(back_populates="shipment",
                                                   order_by="Parcel.id",
                                                   cascade="all, delete-orphan")
    order = relationship("Order")
    packed_by = relationship("User")


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
    box_code: Mapped[str | None] = mapped_column(String(32))  # the preset it went into
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


class BoxPreset(db.Model):
    """A box type the station keeps: its code (printed on the shelf), inside size, tare."""

    __table_args__ = (
        CheckConstraint("inner_length_mm > 0 AND inner_width_mm > 0 AND inner_height_mm > 0",
                        name="box_preset_size"),
        CheckConstraint("tare_g >= 0", name="box_preset_tare"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    inner_length_mm: Mapped[int]
    inner_width_mm: Mapped[int]
    inner_height_mm: Mapped[int]
    tare_g: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def volume(self):
        """Inside volume in cubic millimetres."""
        return self.inner_length_mm * self.inner_width_mm * self.inner_height_mm


class PackingStation(db.Model):
    """A packing bench and the network label printer (raw TCP, ZPL) standing at it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    printer_host: Mapped[str | None] = mapped_column(String(255))
    printer_port: Mapped[int] = mapped_column(default=9100)


PRINT_STATES = ("queued", "sent", "failed")


class LabelPrint(db.Model):
    """One sending of a parcel's ZPL label to a station's printer, by a packing job."""

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id", ondelete="CASCADE"),
                                           index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("packing_station.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    parcel: Mapped[Parcel] = relationship()
    station: Mapped[PackingStation] = relationship()
