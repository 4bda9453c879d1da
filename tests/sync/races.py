"""Two requests racing on the same rows, on PostgreSQL: knowing the second caught up."""
import time

from sqlalchemy import text

from webapp.extensions import db


def wait_for_lock_wait(timeout=10):
    """True once a backend of this PostgreSQL database waits on a row lock: the
    second of two racing requests has caught up with the first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = db.session.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"))
        db.session.commit()
        if waiting:
            return True
        time.sleep(0.02)
    return False
