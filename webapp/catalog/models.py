"""Warehouses, locations, products, barcodes, stock levels and the stock ledger."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime

from ..extensions import db
from ..timeutil import utcnow

LOCATION_TYPES = ("storage", "receiving", "packing", "shipping", "defective", "returns")
SYMBOLOGIES = ("ean13", "upca", "ean8", "code128", "gtin")


class Warehouse(db.Model):
    """A building; locations belong to one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Location(db.Model):
    """A place stock can be: a bin, a dock, a packing station, the defective store.

    zone/aisle/bay/level give its walking position so routes can be planned.
    """

    __audited__ = ("code", "type", "zone", "active")  # webapp/audit/trail.py

    __table_args__ = (
        CheckConstraint(f"type IN {LOCATION_TYPES!r}", name="location_type"),
        Index("ix_location_walk", "warehouse_id", "zone", "aisle", "bay", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(16), default="storage")
    zone: Mapped[str] = mapped_column(String(16), default="")
    aisle: Mapped[int] = mapped_column(default=0)
    bay: Mapped[int] = mapped_column(default=0)
    level: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    warehouse: Mapped[Warehouse] = relationship()


class Product(db.Model):
    """A stock-keeping unit; it may carry several barcodes."""

    __audited__ = ("sku", "name", "reorder_point", "reorder_qty", "active")  # audit/trail.py

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    image_url: Mapped[str | None] = mapped_column(String(500))
    # Below this many units in stock the product shows as low (库存监控); None: the default.
    reorder_point: Mapped[int | None] = mapped_column()
    # How many units to order when it does (shown beside the low stock); None: not set.
    reorder_qty: Mapped[int | None] = mapped_column()
    # Packed size and weight of one unit, where known: the packing station suggests a box.
    length_mm: Mapped[int | None]
    width_mm: Mapped[int | None]
    height_mm: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    # What one unit is worth, in cents, where known: counts weigh variances by value.
    unit_cost_cents: Mapped[int | None] = mapped_column()

    barcodes: Mapped[list["Barcode"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Barcode.id")


class Barcode(db.Model):
    """One scannable code of a product; a code names one product only."""

    __table_args__ = (CheckConstraint(f"symbology IN {SYMBOLOGIES!r}", name="symbology"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"),
                                            index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    symbology: Mapped[str] = mapped_column(String(16))

    product: Mapped[Product] = relationship(back_populates="barcodes")


class StockLevel(db.Model):
    """How many of a product are at a location. Changed only by catalog.stock.move_stock."""

    __table_args__ = (
        UniqueConstraint("product_id", "location_id", name="uq_stock_level_product_location"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        # Reserved units are part of quantity: allocation can never promise more
        # than is on the shelf, and a move can never take promised units away.
        CheckConstraint("reserved >= 0 AND reserved <= quantity", name="reserved_within_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0, server_default="0")

    product: Mapped[Product] = relationship()
    location: Mapped[Location] = relationship()


class LocationBlock(db.Model):
    """A product at a location held back from allocation: the shelf did not match the
    books (a picker reported it empty, damaged or not found). Who, when and why it was
    blocked, and who cleared it (a count) when and why; the rows stay as history.
    """

    __table_args__ = (Index("ix_location_block_active", "location_id", "product_id",
                            "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    reason: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(128))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    cleared_note: Mapped[str | None] = mapped_column(String(500))

    location: Mapped[Location] = relationship()
    product: Mapped[Product] = relationship()
    created_by = relationship("User", foreign_keys=[created_by_id])


class StockMovement(db.Model):
    """One line of the append-only stock ledger.

    from_location is empty for stock entering the books (opening stock, receipt,
    positive adjustment); to_location is empty for stock leaving them.
    """

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_location_id IS NOT NULL OR to_location_id IS NOT NULL",
                        name="has_a_side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    source: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The hash chain (webapp/audit/chain.py): filled once when the line is sealed.
    seal_seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))

    # What the chain's hash covers: every fact of the movement.
    CHAINED = ("id", "product_id", "from_location_id", "to_location_id", "quantity", "reason",
               "user_id", "device_id", "source", "created_at")

    product: Mapped[Product] = relationship()
    from_location: Mapped[Location | None] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped[Location | None] = relationship(foreign_keys=[to_location_id])
