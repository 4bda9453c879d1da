"""Two requests racing on the same rows, on PostgreSQL (SQLite takes its write lock at
BEGIN IMMEDIATE: there the second request reads only after the first committed)."""
import threading
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


def race(app, first, second):
    """Run `first` in a thread and app context of its own, its transaction kept open
    until `second`, run in another, waits on a lock; then commit the first, then the
    second. Returns (what first returned, what second returned, whether the second
    waited); a call that raised gives its exception instead (its work rolled back)."""
    results = {}
    first_done, release = threading.Event(), threading.Event()

    def run(name, job, hold):
        with app.app_context():
            try:
                results[name] = job()
                if hold:
                    first_done.set()
                    release.wait(30)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - the caller asserts on it
                db.session.rollback()
                results[name] = error
            finally:
                first_done.set()
                db.session.remove()

    db.session.commit()
    a = threading.Thread(target=run, args=("first", first, True))
    a.start()
    assert first_done.wait(30), "the first request never finished its work"
    b = threading.Thread(target=run, args=("second", second, False))
    b.start()
    waited = wait_for_lock_wait()
    release.set()
    a.join(30)
    b.join(30)
    db.session.expire_all()
    return results.get("first"), results.get("second"), waited
