"""Expected receipts (明细表) and their lines, state history, inspections and put-away."""
from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime

from ..extensions import db
from ..timeutil import utcnow

SOURCES = ("purchase", "production", "transfer")
RECEIPT_STATES = ("expected", "receiving", "received", "put_away", "cancelled")
OUTCOMES = ("pass", "fail")
FAIL_REASONS = ("damaged", "wrong_item", "expired", "missing_parts", "other")
RUN_STATES = ("queued", "running", "finished", "failed")
NUMBER_PREFIX = "RCP"


class Receipt(db.Model):
    """Goods expected at a dock; (source, reference) makes intake idempotent."""

    __table_args__ = (
        UniqueConstraint("source", "reference", name="uq_receipt_source_reference"),
        CheckConstraint(f"status IN {RECEIPT_STATES!r}", name="receipt_status"),
        Index("ix_receipt_status_expected", "status", "expected_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(64))
    supplier: Mapped[str] = mapped_column(String(200), default="")
    expected_date: Mapped[date | None] = mapped_column(Date)
    dock_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    status: Mapped[str] = mapped_column(String(16), default="expected")
    held: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    receiver_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    delivered_by: Mapped[str] = mapped_column(String(120), default="")
    delivered_company: Mapped[str] = mapped_column(String(200), default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    dock = relationship("Location")
    receiver = relationship("User", foreign_keys=[receiver_id])
    lines: Mapped[list["ReceiptLine"]] = relationship(
        back_populates="receipt", cascade="all, delete-orphan", order_by="ReceiptLine.line_no")
    events: Mapped[list["ReceiptEvent"]] = relationship(
        cascade="all, delete-orphan", order_by="ReceiptEvent.id")

    @property
    def number(self):
        """What the dock scans: the Code128 on the 明细表 and the 入库单."""
        return f"{NUMBER_PREFIX}{self.id:08d}"


class ReceiptLine(db.Model):
    """One expected product, or one that came without being expected (`unexpected`).

    A line with a `problem` (unknown SKU, bad quantity) holds its receipt until fixed.
    """

    __table_args__ = (CheckConstraint("received_qty = passed_qty + failed_qty",
                                      name="receipt_line_inspected"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id", ondelete="CASCADE"),
                                            index=True)
    line_no: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    expected_qty: Mapped[int] = mapped_column(default=0)
    lot: Mapped[str] = mapped_column(String(20), default="")
    expiry: Mapped[date | None] = mapped_column(Date)
    problem: Mapped[str | None] = mapped_column(Text)
    unexpected: Mapped[bool] = mapped_column(default=False)
    received_qty: Mapped[int] = mapped_column(default=0)
    passed_qty: Mapped[int] = mapped_column(default=0)
    failed_qty: Mapped[int] = mapped_column(default=0)
    # Why more than expected, or an item not on the 明细表, was accepted.
    accept_note: Mapped[str] = mapped_column(Text, default="")

    receipt: Mapped[Receipt] = relationship(back_populates="lines")
    product = relationship("Product")

    @property
    def discrepancy(self):
        """Received minus expected: negative is short, positive is over."""
        return self.received_qty - self.expected_qty


class ReceiptEvent(db.Model):
    """One state change of a receipt: who, when, why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id", ondelete="CASCADE"),
                                            index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user = relationship("User")


class Inspection(db.Model):
    """检验 of some units from a source (a receipt line now, a return later).

    Pass puts them in the receiving area as sellable stock; fail puts them in the
    defective store (残品库) with a reason. `movement_id` is the ledger line.
    """

    __table_args__ = (CheckConstraint(f"outcome IN {OUTCOMES!r}", name="inspection_outcome"),
                      CheckConstraint("quantity > 0", name="inspection_quantity_positive"),
                      Index("ix_inspection_source", "source_kind", "source_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int]
    source_line_id: Mapped[int | None]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    lot: Mapped[str] = mapped_column(String(20), default="")
    expiry: Mapped[date | None] = mapped_column(Date)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    # The ledger line's id, without a foreign key: the ledger is append-only (nothing is
    # ever deleted from it) and a key into it would stop the ledger being truncated
    # as a whole where tests and archiving do.
    movement_id: Mapped[int | None] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    product = relationship("Product")
    location = relationship("Location")
    photos: Mapped[list["InspectionPhoto"]] = relationship(cascade="all, delete-orphan")


class InspectionPhoto(db.Model):
    """A photo of failed units, kept in the database so every web machine serves it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class PutawayRun(db.Model):
    """Planning the put-away (上架) of one source's passed units, as an RQ job."""

    __table_args__ = (UniqueConstraint("source_kind", "source_id", name="uq_putaway_run_source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[str] = mapped_column(String(32), default="")
    # Who asked for it (closed the receipt, cancelled the order): the planning job acts
    # as them on the audit trail.
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    tasks: Mapped[list["PutawayTask"]] = relationship(
        back_populates="run", order_by="(PutawayTask.walk, PutawayTask.sequence)")

    @property
    def in_progress(self):
        """True while its job has not ended."""
        return self.status in ("queued", "running")


class PutawayTask(db.Model):
    """Take `quantity` of a product from the receiving area to a bin (上架)."""

    __table_args__ = (Index("ix_putaway_task_run_walk", "run_id", "walk", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("putaway_run.id", ondelete="CASCADE"))
    walk: Mapped[int] = mapped_column(default=1)
    sequence: Mapped[int]
    source_line_id: Mapped[int | None]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int]
    from_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    suggested_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    location_confirmed: Mapped[bool] = mapped_column(default=False)
    override: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    run: Mapped[PutawayRun] = relationship(back_populates="tasks")
    product = relationship("Product")
    suggested = relationship("Location", foreign_keys=[suggested_location_id])
    location = relationship("Location", foreign_keys=[location_id])
    from_location = relationship("Location", foreign_keys=[from_location_id])
