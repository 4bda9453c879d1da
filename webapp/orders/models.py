"""Orders from sales channels, their lines, state history and exceptions."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime

from ..extensions import db
from ..timeutil import utcnow

ORDER_STATES = ("new", "allocated", "picking", "picked", "packed", "handed_over",
                "on_hold", "short", "cancelled")
EXCEPTION_KINDS = ("address_error", "unknown_sku", "bad_quantity", "bad_price", "bad_carrier",
                   "short", "short_pick", "cancelled_in_pick")
ADDRESS_FIELDS = ("name", "phone", "line1", "city", "province", "postcode", "country")


class Order(db.Model):
    """A customer order; (channel, channel_order_no) makes intake idempotent."""

    __audited__ = ("status", "priority", "carrier", "cutoff_at", "ship_name", "ship_phone",
                   "ship_line1", "ship_city", "ship_province", "ship_postcode")  # webapp/audit/trail.py

    __table_args__ = (
        UniqueConstraint("channel", "channel_order_no", name="uq_order_channel_number"),
        CheckConstraint(f"status IN {ORDER_STATES!r}", name="order_status"),
        Index("ix_order_status_priority", "status", "priority"),
        # The console's orders tile: counts per state and per carrier's cut-off, read
        # from the index alone on every poll.
        Index("ix_order_status_carrier_cutoff", "status", "carrier", "cutoff_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    channel_order_no: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="new")
    priority: Mapped[int] = mapped_column(default=0)
    carrier: Mapped[str] = mapped_column(String(16), default="builtin")
    cutoff_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ship_name: Mapped[str] = mapped_column(String(120), default="")
    ship_phone: Mapped[str] = mapped_column(String(40), default="")
    ship_line1: Mapped[str] = mapped_column(String(200), default="")
    ship_city: Mapped[str] = mapped_column(String(80), default="")
    ship_province: Mapped[str] = mapped_column(String(80), default="")
    ship_postcode: Mapped[str] = mapped_column(String(16), default="")
    ship_country: Mapped[str] = mapped_column(String(2), default="CN")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    # The checker (复核人): who counted the units at packing; signs the 出库单.
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id")
    events: Mapped[list["OrderEvent"]] = relationship(
        cascade="all, delete-orphan", order_by="OrderEvent.id")
    verified_by = relationship("User", foreign_keys=[verified_by_id])

    @property
    def number(self):
        """How people refer to the order: channel and its number."""
        return f"{self.channel}-{self.channel_order_no}"

    def address(self):
        """The shipping address as a dict of ADDRESS_FIELDS."""
        return {field: getattr(self, f"ship_{field}") for field in ADDRESS_FIELDS}


class OrderLine(db.Model):
    """One SKU and quantity of an order. product_id is empty while the SKU is unknown."""

    # 0 only on held orders whose quantity was unreadable, until a supervisor fixes it.
    __table_args__ = (CheckConstraint("quantity >= 0", name="line_quantity_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int]
    picked_qty: Mapped[int] = mapped_column(default=0)
    verified_qty: Mapped[int] = mapped_column(default=0)
    # What the customer paid a unit (单价), in cents, when the channel sends it: refunds
    # of returned units are computed from it (webapp/returns/resolution.py).
    unit_price_cents: Mapped[int | None]

    order: Mapped[Order] = relationship(back_populates="lines")
    product = relationship("Product")


class OrderEvent(db.Model):
    """One state transition, with who made it and when: the order's audit trail."""

    __table_args__ = (Index("ix_order_event_to_status_created", "to_status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OrderException(db.Model):
    """A problem a supervisor must resolve: bad address, unknown SKU, shortage..."""

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    order: Mapped[Order] = relationship()
