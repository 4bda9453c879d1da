"""Every scan a device sent, raw, with what it did: the audit trail of offline work."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from ..extensions import db
from ..timeutil import utcnow

SCAN_STATES = ("stored", "applied", "conflict", "rejected")


class ScanRecord(db.Model):
    """One scan, unique by the id the device made: the key to exactly-once."""

    __table_args__ = (Index("ix_scan_record_device_seq", "device_id", "seq"),
                      Index("ix_scan_record_status", "status"),
                      Index("ix_scan_record_action_subject", "action", "subject_id"),
                      # The console's KPIs read one action's scans of a period.
                      Index("ix_scan_record_action_time", "action", "server_time"))

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    seq: Mapped[int] = mapped_column(default=0)
    device_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    server_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(default=1)
    pick_list_id: Mapped[int | None] = mapped_column(index=True)  # the console reads by list
    task_id: Mapped[int | None] = mapped_column()
    order_id: Mapped[int | None] = mapped_column()
    # Flows after the outbound ones name what a scan belongs to generically (their
    # receipt, manifest, count...) and carry their extras in payload: see actions.py.
    subject_id: Mapped[int | None] = mapped_column()
    line_id: Mapped[int | None] = mapped_column()
    payload: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="stored")
    reason: Mapped[str] = mapped_column(Text, default="")
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
