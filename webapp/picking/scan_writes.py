"""What a run of pick scans writes with, past the ORM: statements, version checks, expiry.

scan_batch.World judges the scans and decides what to write. The Core statements it
writes with (built once), the version check that turns a concurrent write into
StaleTask, the expiry of the session's copies of rows so written (_forget) and the
close of a list audited as the scan that finished it (_close, scan_now's too) are
here, so that the judging reads without the SQL around it.
"""
from sqlalchemy import bindparam, select, update

from ..audit.trail import acting_as
from ..extensions import db
from ..orders.models import OrderLine
from ..sync.actions import OneByOne
from . import closing
from .models import PickList, PickTask, Reservation


def _acting(record):
    """Audit what a scan does as its person and device did it, at the scan's time."""
    return acting_as(record.user_id, record.device_id, record.device_time,
                     f"scan {record.scan_uuid}")


def _close(record):
    """Close the list the scan finished through the online service (its orders move
    on), audited as the scan's person and device."""
    with _acting(record):
        closing.after_task(db.session.get(PickList, record.pick_list_id), record.user_id)
        db.session.flush()  # the audit entries are written now, as the scan's


# The statements of every run, built once (building and keying one costs more than
# running it for a run of one scan).
_TASKS_DONE = (update(PickTask.__table__).where(PickTask.__table__.c.id == bindparam("i"),
                                                PickTask.__table__.c.version == bindparam("v"))
               .values(picked_qty=bindparam("p"), location_confirmed=bindparam("c"),
                       status=bindparam("s"), done_at=bindparam("d"),
                       version=bindparam("v") + 1))
_SPENT = (update(Reservation.__table__)
          .where(Reservation.__table__.c.id.in_(bindparam("ids", expanding=True)))
          .values(active=False))
_LINES_PICKED = (update(OrderLine.__table__).where(OrderLine.__table__.c.id == bindparam("i"))
                 .values(picked_qty=OrderLine.__table__.c.picked_qty + bindparam("n")))
# An order's lines, for the close of a list whose pick of it was short.
_LINES_OF = select(OrderLine.picked_qty, OrderLine.quantity).where(
    OrderLine.order_id == bindparam("o"))


class StaleTask(OneByOne):
    """A task, or a list or order being closed, was written by another transaction
    since it was read (on PostgreSQL, a second scan of it at the same instant; a
    release or a cancel): nothing of this write is kept; the scans go through the
    one-by-one path, which reads the rows as they are now."""


def _write_tasks(tasks):
    """Write the tasks' progress, each only if still at the version read: raise
    StaleTask when one was not (the caller's savepoint or transaction then undoes
    the rest, before the stock moves, which write() makes after)."""
    tasks = list(tasks)
    written = db.session.execute(_TASKS_DONE, [
        {"i": t.id, "p": t.picked_qty, "c": t.location_confirmed, "s": t.status,
         "d": t.done_at, "v": t.version} for t in tasks]).rowcount
    if written != len(tasks):
        raise StaleTask("a task was changed by another scan meanwhile")
    for task in tasks:
        task.version += 1  # a later write of the run names the version written here


def _forget(written):
    """Expire the session's copies of rows written here with Core statements
    ({model: ids}), so an ORM read after (closing a list, a scan applied one by one)
    sees the new values. One pass over the session, not a lookup per row."""
    for obj in list(db.session.identity_map.values()):
        ids = written.get(type(obj))
        if ids and obj.id in ids:
            db.session.expire(obj)
