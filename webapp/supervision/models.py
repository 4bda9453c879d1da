"""Summary rows the KPIs read instead of scanning a month of facts on every request."""
from datetime import date, datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Date, DateTime

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


class KpiOrderDay(db.Model):
    """One warehouse-local day of orders reaching a state (today 'packed'), per cycle
    time: how many took `minutes` (received → that state, quantised by
    orderfacts.quantise), how many of them had a cut-off and how many made it.
    Written only by orderfacts.roll_up(); the order events stay the facts."""

    __table_args__ = (UniqueConstraint("day", "state", "minutes", name="uq_kpi_order_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int] = mapped_column()
    orders: Mapped[int] = mapped_column(default=0)
    with_cutoff: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
