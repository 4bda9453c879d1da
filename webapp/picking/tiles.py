"""The picking domain's tile on the supervisor's console: lists being walked, by whom,
how far along, and when the last scan came in."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..supervision.clock import age_seconds
from ..supervision.picklists import overview
from ..supervision.tiles import register_tile
from ..timeutil import utcnow
from .models import PickList

SHOWN = 12


@register_tile("picking", _l("Pick lists in progress"), template="picking/_tile.html",
               order=20, link="supervision.pick_lists")
def picking_tile():
    """Lists in progress (picker, progress, last scan) and how many wait for a picker."""
    now = utcnow()
    rows = overview(statuses=("in_progress",), limit=SHOWN)
    for row in rows:
        row["idle"] = age_seconds(row["last_scan"] or row["list"].started_at, now)
    in_progress, waiting = db.session.execute(select(
        func.count().filter(PickList.status == "in_progress"),
        func.count().filter(PickList.status == "open"))
        .where(PickList.status.in_(("in_progress", "open")))).one()
    return {"rows": rows, "in_progress": in_progress, "waiting": waiting}
