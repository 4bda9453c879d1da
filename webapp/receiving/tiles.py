"""Receiving's tile on the supervisor's console: receipts expected today, being received,
awaiting put-away, and units failed into the defective store today."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..supervision.clock import day_bounds
from ..supervision.tiles import register_tile
from .models import Inspection, PutawayTask
from .services import today_counts


@register_tile("receiving", _l("Receiving"), template="receiving/_tile.html", order=50,
               link="receiving.receipts")
def receiving_tile():
    """Today's receipts by stage, put-away tasks open, failed units today."""
    start, end = day_bounds()
    failed = db.session.scalar(select(func.coalesce(func.sum(Inspection.quantity), 0)).where(
        Inspection.outcome == "fail", Inspection.created_at >= start,
        Inspection.created_at < end))
    open_tasks = db.session.scalar(select(func.count(PutawayTask.id)).where(
        PutawayTask.status == "pending"))
    return {**today_counts(), "failed_today": failed, "open_tasks": open_tasks}
