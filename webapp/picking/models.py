"""Reservations, waves (planning runs), pick lists and their tasks."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime

from ..extensions import db
from ..timeutil import utcnow

WAVE_STATES = ("queued", "running", "finished", "failed")
LIST_STATES = ("open", "in_progress", "done", "cancelled")
TASK_STATES = ("pending", "done", "short", "cancelled")
SHORT_REASONS = ("empty", "damaged", "not_found")


class Reservation(db.Model):
    """Stock of one location held for one order line until it is picked or released."""

    __table_args__ = (CheckConstraint("quantity > 0", name="reservation_quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id", ondelete="CASCADE"),
                                               index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    quantity: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)

    location = relationship("Location")


class Wave(db.Model):
    """One planning run: its limits, its RQ job and what it produced."""

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[str | None] = mapped_column(String(64), index=True)
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    result_json: Mapped[str] = mapped_column(Text, default="{}")
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def in_progress(self):
        """True while its job has not ended."""
        return self.status in ("queued", "running")


class PickList(db.Model):
    """A batch of orders picked in one walk with one cart, tasks in route order."""

    __audited__ = ("status", "picker_id", "priority")  # webapp/audit/trail.py

    __table_args__ = (Index("ix_pick_list_picker_status", "picker_id", "status"),
                      Index("ix_pick_list_status", "status"))  # the console's counts

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id"), index=True)
    picker_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[int] = mapped_column(default=0, server_default="0")  # set by a supervisor
    planned_distance_m: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An order of this list cancelled since the picker's last scan: the next scan on
    # the screen answers with the notice (and is not counted), then this is cleared.
    cancelled_order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))

    tasks: Mapped[list["PickTask"]] = relationship(back_populates="pick_list",
                                                   order_by="PickTask.sequence")


class PickTask(db.Model):
    """Take `quantity` of a product from a location into a cart slot.

    kind 'putback' is the reverse walk for an order cancelled mid-pick: take
    the picked units from the cart back to the location they came from.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    pick_list_id: Mapped[int] = mapped_column(ForeignKey("pick_list.id"), index=True)
    sequence: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8), default="pick")
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservation.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int]
    picked_qty: Mapped[int] = mapped_column(default=0)
    cart_slot: Mapped[int] = mapped_column(default=1)
    location_confirmed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    short_reason: Mapped[str | None] = mapped_column(String(16))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # Bumped by every write of the task, which names the version it read (the ORM's
    # version_id_col, scan_batch's Core UPDATE by hand): on PostgreSQL two scans of one
    # task at the same instant read the same progress, and the second write now finds
    # no row (StaleDataError / scan_writes.StaleTask) instead of counting the unit again.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    pick_list: Mapped[PickList] = relationship(back_populates="tasks")
    location = relationship("Location")
    product = relationship("Product")
    order = relationship("Order")

    __mapper_args__ = {"version_id_col": version}
