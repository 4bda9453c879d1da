"""Stock counts (盘点): plans, count tasks per location and what each counted.

A plan names which locations to count (a zone, a range of codes, the bins of a
product, a cycle by ABC); its job makes one task per location. A short pick raises
a task of its own (no plan). A task is counted blind by one person; each line is a
product found (or expected) there, with the book quantity at the moment it was
counted, so picks and put-aways during the count are not variances.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime

from ..extensions import db
from ..timeutil import utcnow

PLAN_KINDS = ("zone", "range", "product", "cycle")
PLAN_STATES = ("queued", "running", "finished", "failed")
# open: waiting for a counter; counting: its location scanned, a counter holds it;
# counted: lines judged, variances wait for the supervisor; recount: superseded by a
# recount task; closed: every line settled; cancelled; released: a supervisor freed a
# claim left idle, its bin went to a new open task (its lines stay as they were left).
TASK_STATES = ("open", "counting", "counted", "recount", "closed", "cancelled", "released")
LIVE_STATES = ("open", "counting")
# ok: no variance; pending: waits for approval; approved (adjustment posted); rejected.
LINE_STATES = ("counting", "ok", "pending", "approved", "rejected", "recount")


class CountPlan(db.Model):
    """A supervisor's request to count a set of locations; its job makes the tasks."""

    __audited__ = ("status", "tasks_made")  # webapp/audit/trail.py

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    tasks_made: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def in_progress(self):
        """True while its job has not ended."""
        return self.status in ("queued", "running")


class CountTask(db.Model):
    """Count everything at one location. A recount names the task it checks and the
    person who must not do it (the first counter), where someone else can."""

    __audited__ = ("status", "counter_id")  # webapp/audit/trail.py

    __table_args__ = (Index("ix_count_task_location_status", "location_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("count_plan.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    status: Mapped[str] = mapped_column(String(12), default="open")
    source: Mapped[str | None] = mapped_column(String(128))
    recount_of_id: Mapped[int | None] = mapped_column(ForeignKey("count_task.id"))
    not_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    counted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_scan_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    location = relationship("Location")
    counter = relationship("User", foreign_keys=[counter_id])
    lines: Mapped[list["CountLine"]] = relationship(back_populates="task",
                                                    order_by="CountLine.id")


class CountLine(db.Model):
    """One product at the counted location: counted, and the book quantity when counted."""

    __audited__ = ("status", "counted_qty")  # webapp/audit/trail.py

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("count_task.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    counted_qty: Mapped[int] = mapped_column(default=0)
    book_qty: Mapped[int] = mapped_column(default=0)
    # Units pickers had taken from this bin into their carts when it was counted: their
    # pick has not ended, so the ledger still holds them here (picking.shortage.in_carts).
    in_carts: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(12), default="counting")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The ledger line that posted it. No foreign key: the ledger is append-only and
    # emptied only with TRUNCATE, which a referencing table would refuse.
    movement_id: Mapped[int | None] = mapped_column()

    task: Mapped[CountTask] = relationship(back_populates="lines")
    product = relationship("Product")

    @property
    def variance(self):
        """Counted (with the units in pickers' carts) minus book; negative: units missing."""
        return self.counted_qty + self.in_carts - self.book_qty
