"""The counts' tile on the supervisor's console: counts waiting, variances to decide,
and inventory accuracy (账实相符率) over the last 30 days."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..supervision.tiles import register_tile
from .models import CountLine, CountTask
from .claims import idle_count
from .variances import accuracy


@register_tile("counts", _l("Counts (盘点)"), template="counts/_tile.html", order=60,
               link="counts.variances_page")
def counts_tile():
    """Open and recount tasks, claims left idle, variances pending, accuracy by location and by value."""
    open_tasks, recounts = db.session.execute(select(
        func.count().filter(CountTask.status.in_(("open", "counting"))),
        func.count().filter(CountTask.status.in_(("open", "counting")),
                            CountTask.recount_of_id.is_not(None)))).one()
    pending = db.session.scalar(select(func.count()).where(CountLine.status == "pending"))
    return {"open": open_tasks, "recounts": recounts, "pending": pending,
            "idle": idle_count(), "accuracy": accuracy()}
