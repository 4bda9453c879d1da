"""The audit trail: one append-only row per change of state, hash-chained like the ledger."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from ..extensions import db
from ..timeutil import utcnow


class AuditEntry(db.Model):
    """Who changed what, from which device, when (device and server time), before/after."""

    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),
                      Index("ix_audit_entry_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    device_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(16))   # created / changed / deleted
    old_values: Mapped[dict | None] = mapped_column(JSON)
    new_values: Mapped[dict | None] = mapped_column(JSON)
    why: Mapped[str | None] = mapped_column(Text)
    seal_seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))

    CHAINED = ("id", "at", "device_time", "user_id", "device_id", "object_type", "object_id",
               "action", "old_values", "new_values", "why")
