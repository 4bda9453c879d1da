"""Returns on the supervisor's console: expected at the dock, awaiting inspection, to
decide, and the oldest open return's age."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..supervision.tiles import register_tile
from ..timeutil import utcnow
from .models import OPEN_STATES, ReturnRequest
from .services import open_counts


@register_tile("returns", _l("Returns (退换货)"), template="returns/_tile.html", order=55,
               link="returns.index")
def returns_tile():
    """Open returns by stage and how old the oldest one is, in days."""
    oldest = db.session.scalar(select(func.min(ReturnRequest.created_at)).where(
        ReturnRequest.status.in_(OPEN_STATES)))
    days = 0
    if oldest is not None:
        now = utcnow()
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        days = (now - oldest).days
    return {**open_counts(), "oldest_days": days}
