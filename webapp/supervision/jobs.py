"""The console's background jobs."""
from ..extensions import db
from . import orderfacts, rollup


def roll_up_kpis():
    """Hourly (webapp/periodic.py): summarise the picking facts of the hours that ended
    and the order facts of the days that ended. Safe to run twice: the hours and days
    it covers are recomputed, not added to."""
    written = rollup.roll_up() + orderfacts.roll_up()
    db.session.commit()
    return written
