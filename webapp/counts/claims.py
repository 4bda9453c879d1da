"""Claims left idle: a counter scanned a bin (claiming its count) and walked away.

The supervisor sees every claimed count with who holds it, since when and its last
scan, idle ones first, and may release one. Releasing never reopens the same task:
the held task ends "released" with what it had counted so far (the evidence), and a
new open task counts the bin from nothing, for anyone. So scans the first counter
made offline and syncs later all name the released task and come back through the
sync API as conflicts saying why (services.held_task), never added to the new count.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Device
from ..extensions import db
from ..supervision.clock import age_seconds, local_time
from ..timeutil import aware, utcnow
from .models import CountLine, CountTask

RELEASED = "released:"  # the new task's source names the task it replaced


class ReleaseError(ValueError):
    """A count that cannot be released now; the message is shown."""


@dataclass
class Claim:
    """One claimed count as the supervisor weighs it."""

    task: CountTask
    last_scan: datetime
    idle_seconds: int
    idle: bool
    units: int
    device: tuple | None  # (name, last seen) of the handheld it was claimed on


def idle_after():
    """How long a claim may go without a scan before it shows as idle."""
    return timedelta(minutes=current_app.config.get("COUNT_IDLE_MINUTES", 20))


def claims(limit=100):
    """Every count being counted, the longest without a scan first."""
    now = utcnow()
    activity = func.coalesce(CountTask.last_scan_at, CountTask.started_at)
    tasks = db.session.scalars(select(CountTask).where(CountTask.status == "counting")
                               .order_by(activity, CountTask.id).limit(limit)
                               .options(selectinload(CountTask.location),
                                        selectinload(CountTask.counter))).all()
    units = dict(db.session.execute(
        select(CountLine.task_id, func.sum(CountLine.counted_qty))
        .where(CountLine.task_id.in_([t.id for t in tasks])).group_by(CountLine.task_id)).all())
    devices = {row[0]: row[1:] for row in db.session.execute(
        select(Device.id, Device.name, Device.last_seen_at).where(
            Device.id.in_({t.device_id for t in tasks if t.device_id})))} if tasks else {}
    rows = []
    for task in tasks:
        last = aware(task.last_scan_at or task.started_at)
        age = age_seconds(last, now)
        rows.append(Claim(task, last, age, age >= idle_after().total_seconds(),
                          units.get(task.id) or 0, devices.get(task.device_id)))
    return rows


def idle_count():
    """How many claims have gone without a scan for longer than the idle time."""
    cutoff = utcnow() - idle_after()
    return db.session.scalar(select(func.count()).where(
        CountTask.status == "counting",
        func.coalesce(CountTask.last_scan_at, CountTask.started_at) < cutoff))


def release(task_id):
    """Free a claimed count: it ends released, a new open task counts its bin afresh."""
    # Locked, as held_task locks it for a scan: a finish racing the release waits.
    task = db.session.scalar(select(CountTask).where(CountTask.id == task_id)
                             .with_for_update().execution_options(populate_existing=True))
    if task is None:
        raise ReleaseError(_("No such count."))
    if task.status != "counting":
        raise ReleaseError(_("Count %(id)d is %(state)s: only a count being counted can be "
                             "released.", id=task.id, state=task_state_label(task.status)))
    task.status = "released"
    fresh = CountTask(plan_id=task.plan_id, location_id=task.location_id,
                      source=f"{RELEASED}{task.id}", recount_of_id=task.recount_of_id,
                      not_by_id=task.not_by_id)
    db.session.add(fresh)
    db.session.flush()
    return fresh


def successor(task):
    """The open task that replaced a released one (None when there is none)."""
    return db.session.scalar(select(CountTask).where(
        CountTask.source == f"{RELEASED}{task.id}").order_by(CountTask.id).limit(1))


def released_reason(task):
    """Why a scan of a released count is not applied: shown on the device and kept
    with the conflict for the supervisor."""
    fresh = successor(task)
    when = local_time(fresh.created_at) if fresh else None
    return _("Count %(id)d at %(code)s was released by a supervisor at %(when)s: it takes "
             "no more scans. The bin is counted again as count %(new)s.", id=task.id,
             code=task.location.code, when=when.strftime("%H:%M") if when else "-",
             new=fresh.id if fresh else "-")


def task_state_label(state):
    """A task state in words."""
    return {"open": _("waiting for a counter"), "counting": _("being counted"),
            "counted": _("counted"), "recount": _("sent to a recount"),
            "closed": _("closed"), "cancelled": _("cancelled"),
            "released": _("released")}.get(state, state)
