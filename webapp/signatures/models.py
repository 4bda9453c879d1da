"""A signature: the drawing, who signed, for what, and when."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from ..extensions import db
from ..timeutil import utcnow


class Signature(db.Model):
    """One person's signature on one document (subject_type + subject_id).

    Kept in the database, not on disk, so every web machine and worker reads it.
    """

    __table_args__ = (Index("ix_signature_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    svg: Mapped[str] = mapped_column(Text)  # sanitised by services.clean_svg
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_company: Mapped[str | None] = mapped_column(String(120))
    signer_role: Mapped[str | None] = mapped_column(String(32))
    signed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    device_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int]
