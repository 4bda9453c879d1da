"""The sync domain's tile on the supervisor's console: offline scans that came back
as conflicts, with their age and what they say."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..supervision.clock import age_seconds
from ..supervision.tiles import register_tile
from ..timeutil import utcnow
from .models import ScanRecord
from .applying import STUCK_AFTER, stuck_scans

_OPEN = (ScanRecord.status == "conflict", ScanRecord.resolved_at.is_(None))


@register_tile("conflicts", _l("Sync conflicts"), template="sync/_tile.html", order=40,
               link="sync.conflicts")
def conflicts_tile():
    """Open conflicts: how many, the oldest's age, the newest few with their reason."""
    now = utcnow()
    total, oldest = db.session.execute(
        select(func.count(), func.min(ScanRecord.server_time)).where(*_OPEN)).one()
    newest = db.session.scalars(select(ScanRecord).where(*_OPEN)
                                .order_by(ScanRecord.id.desc()).limit(5)).all()
    # "Stuck" has one meaning (sync.applying): stored longer than STUCK_AFTER; a scan
    # that arrived seconds ago and waits for its job is not news for a supervisor.
    return {"total": total, "oldest": age_seconds(oldest, now), "stuck": stuck_scans(),
            "stuck_minutes": int(STUCK_AFTER.total_seconds() // 60),
            "newest": [{"record": r, "age": age_seconds(r.server_time, now)} for r in newest]}
