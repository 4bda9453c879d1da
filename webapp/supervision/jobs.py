"""The console's background jobs."""
from ..extensions import db
from . import rollup


def roll_up_kpis():
    """Hourly (webapp/periodic.py): summarise the picking facts of the hours that ended.
    Safe to run twice: the hours it covers are recomputed, not added to."""
    written = rollup.roll_up()
    db.session.commit()
    return written
