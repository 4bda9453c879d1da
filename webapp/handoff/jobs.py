"""RQ jobs of handoff and tracking: polling carriers, finding stuck parcels."""
from ..extensions import db
from ..packing import carriers
from . import tracking


def poll_tracking():
    """Ask each carrier about its parcels in transit, a batch per commit; safe to run twice."""
    polled = 0
    for code in carriers.CARRIERS:
        after = 0
        while (after := tracking.poll_batch(code, after)) is not None:
            db.session.commit()
            polled += 1
    stuck = tracking.flag_stuck()
    db.session.commit()
    return {"batches": polled, "stuck": stuck}
