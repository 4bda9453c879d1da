"""Pick lists as the supervisor sees them: who walks which, how far, and the actions
a supervisor takes on them (assign or reassign, priority, release a stuck list).

A reassigned or released list's remaining tasks go to the new picker; scans the
previous picker made offline for it come back through the sync API as conflicts
("the pick list was reassigned to someone else", webapp/picking/scan_batch.py), which
the console shows against the list.
"""
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from ..accounts.models import User, UserRole
from ..extensions import db
from ..picking.models import PickList, PickTask
from ..sync.models import ScanRecord

ACTIVE = ("open", "in_progress")
PRIORITY_RANGE = range(0, 10)


class ListError(ValueError):
    """A supervisor action on a list that is not possible; the message is shown."""


def overview(statuses=ACTIVE, limit=200, list_ids=None):
    """Lists in `statuses` (or those of `list_ids`), most urgent first, each with picker,
    progress, last scan and open conflicts."""
    # A picker is only named here: their roles are loaded if something asks, not always.
    query = (select(PickList, User).outerjoin(User, User.id == PickList.picker_id)
             .options(lazyload(User.role_rows)).order_by(PickList.priority.desc(), PickList.id).limit(limit))
    if statuses is not None:
        query = query.where(PickList.status.in_(statuses))
    if list_ids is not None:
        query = query.where(PickList.id.in_(list_ids))
    rows = db.session.execute(query).all()
    facts = _facts([pick_list.id for pick_list, _user in rows])
    return [{"list": pick_list, "picker": user, **facts.get(pick_list.id, _NO_FACTS)}
            for pick_list, user in rows]


_NO_FACTS = {"done": 0, "total": 0, "orders": 0, "last_scan": None, "conflicts": 0}


def _facts(list_ids):
    """Progress, orders, last scan and open conflicts of the lists, read in two queries."""
    if not list_ids:
        return {}
    facts = {}
    for lid, done, total, orders, last_done in db.session.execute(
            select(PickTask.pick_list_id,
                   func.count().filter(PickTask.status.in_(("done", "short"))),
                   func.count().filter(PickTask.status != "cancelled"),
                   func.count(PickTask.order_id.distinct()), func.max(PickTask.done_at))
            .where(PickTask.pick_list_id.in_(list_ids)).group_by(PickTask.pick_list_id)):
        facts[lid] = {"done": done, "total": total, "orders": orders, "last_scan": last_done,
                      "conflicts": 0}
    for lid, last_scan, conflicts in db.session.execute(
            select(ScanRecord.pick_list_id, func.max(ScanRecord.server_time),
                   func.count().filter(ScanRecord.status == "conflict",
                                       ScanRecord.resolved_at.is_(None)))
            .where(ScanRecord.pick_list_id.in_(list_ids)).group_by(ScanRecord.pick_list_id)):
        row = facts.setdefault(lid, dict(_NO_FACTS))
        row["conflicts"] = conflicts
        if last_scan is not None and (row["last_scan"] is None or last_scan > row["last_scan"]):
            row["last_scan"] = last_scan
    return facts


def list_conflicts(list_id):
    """Open conflicts of one list, newest first (what a reassignment left behind)."""
    return db.session.scalars(select(ScanRecord).where(
        ScanRecord.pick_list_id == list_id, ScanRecord.status == "conflict",
        ScanRecord.resolved_at.is_(None)).order_by(ScanRecord.id.desc()).limit(50)).all()


def pickers():
    """Active people holding the picker role, by name."""
    # Named and chosen here, not asked for their roles: those are not loaded.
    return db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                              .where(UserRole.role == "picker", User.active.is_(True))
                              .options(lazyload(User.role_rows))
                              .order_by(User.display_name, User.username)).all()


def _active_list(list_id):
    """A list still open or in progress, or ListError."""
    pick_list = db.session.get(PickList, list_id)
    if pick_list is None:
        raise ListError(_("No such pick list."))
    if pick_list.status not in ACTIVE:
        raise ListError(_("Pick list #%(id)d is already finished.", id=list_id))
    return pick_list


def assign(list_id, picker_id):
    """Give the list to a picker (a list in progress stays in progress for them)."""
    pick_list = _active_list(list_id)
    picker = db.session.get(User, picker_id) if picker_id and 0 < picker_id < 2**31 else None
    if picker is None or not picker.active or "picker" not in picker.roles:
        raise ListError(_("Choose an active picker."))
    pick_list.picker_id = picker.id
    db.session.flush()
    return pick_list


def release(list_id):
    """Free a stuck list: nobody holds it, it is open for any picker to continue."""
    pick_list = _active_list(list_id)
    pick_list.picker_id, pick_list.status = None, "open"
    db.session.flush()
    return pick_list


def set_priority(list_id, priority):
    """Set the list's priority (0-9, higher first in pickers' lists)."""
    pick_list = _active_list(list_id)
    if priority not in PRIORITY_RANGE:
        raise ListError(_("Priority must be a whole number from 0 to 9."))
    pick_list.priority = priority
    db.session.flush()
    return pick_list
