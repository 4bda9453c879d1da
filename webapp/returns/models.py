"""Returns (退换货, RMA): what comes back from an order, why, and what the customer gets."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, ForeignKey, Index, LargeBinary, Numeric, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime

from ..extensions import db
from ..timeutil import utcnow

RETURN_STATES = ("requested", "awaiting_arrival", "received", "inspected", "refunded",
                 "exchanged", "rejected", "closed")
OPEN_STATES = RETURN_STATES[:-1]
REASONS = ("damaged_in_transit", "wrong_item", "not_as_described", "defective",
           "changed_mind", "other")
RESOLUTIONS = ("refund", "exchange")
NUMBER_PREFIX = "RMA"


class ReturnRequest(db.Model):
    """One return (RMA) of some units of a handed-over order."""

    __audited__ = ("status", "resolution", "refund_due", "refund_amount", "refund_reference",
                   "replacement_order_id", "return_tracking")  # webapp/audit/trail.py

    __table_args__ = (
        CheckConstraint(f"status IN {RETURN_STATES!r}", name="return_status"),
        CheckConstraint(f"resolution IN {RESOLUTIONS!r}", name="return_resolution"),
        Index("ix_return_request_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    reason: Mapped[str] = mapped_column(String(24))
    reason_note: Mapped[str] = mapped_column(Text, default="")
    resolution: Mapped[str] = mapped_column(String(8))
    # The waybill of the parcel coming back, when the customer gives one.
    return_tracking: Mapped[str] = mapped_column(String(40), default="", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # What the inspection says the customer is due (accepted units × the order line's
    # unit price); empty when the order carries no price. refund_amount is what customer
    # service recorded as paid.
    refund_due: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    refund_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    refund_reference: Mapped[str] = mapped_column(String(64), default="")
    replacement_order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    order = relationship("Order", foreign_keys=[order_id])
    replacement_order = relationship("Order", foreign_keys=[replacement_order_id])
    created_by = relationship("User")
    lines: Mapped[list["ReturnLine"]] = relationship(
        back_populates="rma", cascade="all, delete-orphan", order_by="ReturnLine.id")
    events: Mapped[list["ReturnEvent"]] = relationship(
        cascade="all, delete-orphan", order_by="ReturnEvent.id")
    photos: Mapped[list["ReturnPhoto"]] = relationship(
        cascade="all, delete-orphan", order_by="ReturnPhoto.id")
    notices: Mapped[list["ChannelNotice"]] = relationship(
        cascade="all, delete-orphan", order_by="ChannelNotice.id")

    @property
    def number(self):
        """What the return label's Code128 holds and the dock scans."""
        return f"{NUMBER_PREFIX}{self.id:08d}"


class ReturnLine(db.Model):
    """Units of one order line coming back, or an item that came unannounced."""

    __table_args__ = (CheckConstraint("received_qty = passed_qty + failed_qty",
                                      name="return_line_inspected"),
                      CheckConstraint("quantity >= 0", name="return_line_quantity"))

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("return_request.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(default=0)
    replacement_product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    received_qty: Mapped[int] = mapped_column(default=0)
    passed_qty: Mapped[int] = mapped_column(default=0)
    failed_qty: Mapped[int] = mapped_column(default=0)
    unexpected: Mapped[bool] = mapped_column(default=False)
    # Why an unexpected item, or more than announced, was taken in at the dock.
    accept_note: Mapped[str] = mapped_column(Text, default="")

    rma: Mapped[ReturnRequest] = relationship(back_populates="lines")
    product = relationship("Product", foreign_keys=[product_id])
    replacement = relationship("Product", foreign_keys=[replacement_product_id])
    order_line = relationship("OrderLine")


class ReturnEvent(db.Model):
    """One state change of a return: who, when, why (the return's timeline)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("return_request.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user = relationship("User")


class ReturnPhoto(db.Model):
    """A photo customer service attached (the customer's picture of the damage)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("return_request.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


NOTICE_STATES = ("queued", "sent", "failed")


class ChannelNotice(db.Model):
    """Telling the sales channel a return was refunded or exchanged (an RQ job)."""

    __table_args__ = (UniqueConstraint("return_id", "kind", name="uq_return_notice_kind"),
                      CheckConstraint(f"status IN {NOTICE_STATES!r}",
                                      name="return_notice_status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("return_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    channel_reference: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
