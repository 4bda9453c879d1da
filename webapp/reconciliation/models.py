"""Runs of the ledger check: stock levels against the sum of the ledger."""
import json
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from ..extensions import db
from ..timeutil import utcnow

RUN_STATES = ("queued", "running", "finished", "failed")


class ReconciliationRun(db.Model):
    """One ledger check; job_id ties it to its RQ job so the UI can show its state."""

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[str | None] = mapped_column(String(64), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    levels_checked: Mapped[int] = mapped_column(default=0)
    mismatch_count: Mapped[int] = mapped_column(default=0)
    mismatches_json: Mapped[str] = mapped_column(Text, default="[]")
    error: Mapped[str | None] = mapped_column(Text)
    # The ledger's hash chain: lines sealed by this run, links checked, first broken one.
    chain_sealed: Mapped[int | None] = mapped_column()
    chain_checked: Mapped[int | None] = mapped_column()
    chain_error: Mapped[str | None] = mapped_column(Text)
    # Each chain's last link as this run saw it, {"table": [seal_seq, row_hash]}: the next
    # run finds deleted or truncated newest links by looking for it.
    chain_heads: Mapped[dict | None] = mapped_column(JSON)

    @property
    def mismatches(self):
        """The mismatching (product, location, book, ledger) rows found."""
        return json.loads(self.mismatches_json or "[]")

    @property
    def named_mismatches(self):
        """The mismatches with the product's SKU and the location's code, as people name
        them (the ids are what the job stored)."""
        from ..catalog.models import Location, Product
        from ..extensions import db
        rows = self.mismatches
        skus = dict(db.session.execute(db.select(Product.id, Product.sku).where(
            Product.id.in_({r["product_id"] for r in rows}))).all()) if rows else {}
        codes = dict(db.session.execute(db.select(Location.id, Location.code).where(
            Location.id.in_({r["location_id"] for r in rows}))).all()) if rows else {}
        return [{**r, "sku": skus.get(r["product_id"], "?"),
                 "location": codes.get(r["location_id"], "?")} for r in rows]

    @property
    def in_progress(self):
        """True while the job has not ended; the UI keeps polling only then."""
        return self.status in ("queued", "running")
