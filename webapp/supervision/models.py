"""Summary rows the KPIs read instead of scanning a month of facts on every request."""
from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from ..extensions import db


class KpiHour(db.Model):
    """One clock hour (UTC) of picking facts per person (0: nobody) and zone ('' unknown):
    lines finished and short from pick tasks, pick scans and wrong ones from scan records.
    Written only by rollup.roll_up(); the facts themselves stay where they are."""

    __table_args__ = (UniqueConstraint("hour", "user_id", "zone", name="uq_kpi_hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int] = mapped_column(default=0)
    zone: Mapped[str] = mapped_column(String(16), default="")
    lines_done: Mapped[int] = mapped_column(default=0)
    lines_short: Mapped[int] = mapped_column(default=0)
    scans: Mapped[int] = mapped_column(default=0)
    wrong_scans: Mapped[int] = mapped_column(default=0)


class KpiRollup(db.Model):
    """How far a roll-up has summarised: facts before `rolled_until` are in its rows."""

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    rolled_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
