"""Every change of state written to the audit trail, without a call in every service.

A model opts in by naming the attributes whose changes matter:

    class Order(db.Model):
        __audited__ = ("status", "priority", "carrier")

After each flush the trail writes one entry per created, changed or deleted
audited object, with the values before and after. Who did it comes from the
request (the signed-in person, the device of a token) or, in a job or a synced
scan, from `acting_as(user_id, device_id, device_time, why)` around the work. The
entries are inserted on the flush's own connection: they commit or roll back with
the change they describe.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context
from sqlalchemy import event, insert, inspect

from ..bulksql import insert_rows
from ..timeutil import utcnow
from .models import AuditEntry

_acting: ContextVar[dict | None] = ContextVar("audit_acting", default=None)


@contextmanager
def acting_as(user_id=None, device_id=None, device_time=None, why=None):
    """Attribute the changes made inside to this person and device (jobs, synced scans)."""
    token = _acting.set({"user_id": user_id, "device_id": device_id,
                         "device_time": device_time, "why": why})
    try:
        yield
    finally:
        _acting.reset(token)


# `why` of the entries a background job writes: "job:<name>" when it acts for the person
# who asked for it, "system:<name>" when nobody did (a periodic sweep, a poll). The audit
# screen names both (`why_label`); an entry with no person shows as the system.
JOB_WHY, SYSTEM_WHY = "job:", "system:"


def acting_for(user_id, job_name):
    """A job's work, attributed to the person who asked for it (the row's creator or
    requester), or to the system when nobody did."""
    return acting_as(user_id, why=f"{JOB_WHY if user_id else SYSTEM_WHY}{job_name}")


def acting_as_system(job_name):
    """Work no person asked for (periodic jobs), attributed to the system by name."""
    return acting_as(None, why=f"{SYSTEM_WHY}{job_name}")


def record(session, object_type, object_id, old_values, new_values, action="changed"):
    """Write one entry by hand: for a change made with a guarded Core UPDATE (a claim
    that must not race), which the flush listener never sees."""
    record_many(session, object_type, [(object_id, old_values or {}, new_values or {})],
                action)


def record_many(session, object_type, changes, action="changed"):
    """Write one entry per (object id, old values, new values) in one INSERT: for
    changes made set-based (a wave allocating thousands of orders at once)."""
    at, who = utcnow(), _who()
    rows = [{"at": at, "object_type": object_type, "object_id": object_id, "action": action,
             "old_values": None if old is None else {k: _plain(v) for k, v in old.items()},
             "new_values": None if new is None else {k: _plain(v) for k, v in new.items()},
             **who} for object_id, old, new in changes if old != new]
    insert_rows(session.connection(), AuditEntry, rows)


def install():
    """Listen to every flush of the app's sessions (once per process)."""
    from flask_sqlalchemy.session import Session
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def _after_flush(session, _context):
    """Write the entries for what this flush changed."""
    rows = [row for obj, action in _touched(session) if (row := _entry(obj, action))]
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def _touched(session):
    """(object, action) for every audited object of the flush."""
    for action, objects in (("created", session.new), ("changed", session.dirty),
                            ("deleted", session.deleted)):
        for obj in objects:
            if getattr(obj, "__audited__", None):
                yield obj, action


def _entry(obj, action):
    """The entry for one object, or None when no audited attribute changed."""
    state, names = inspect(obj), obj.__audited__
    if action == "created":
        before, after = None, {n: _plain(getattr(obj, n)) for n in names}
    elif action == "deleted":
        before, after = {n: _plain(getattr(obj, n)) for n in names}, None
    else:
        before, after = {}, {}
        for name in names:
            history = state.attrs[name].history
            if history.has_changes() and history.deleted and history.added != history.deleted:
                before[name], after[name] = _plain(history.deleted[0]), _plain(history.added[0])
        if not after:
            return None
    return {"at": utcnow(), "object_type": type(obj).__tablename__,
            # the first primary key column (a role row: its person), set by the INSERT
            "object_id": state.mapper.primary_key_from_instance(obj)[0],
            "action": action, "old_values": before, "new_values": after, **_who()}


def _who():
    """The person, device, device time and reason of the change being flushed."""
    acting = _acting.get()
    if acting is not None:
        return dict(acting)
    who = {"user_id": None, "device_id": None, "device_time": None, "why": None}
    if has_request_context():
        device = g.get("device")
        who["device_id"] = device.id if device is not None else None
        user = g.get("_login_user")
        if user is not None and getattr(user, "is_authenticated", False):
            who["user_id"] = user.id
    return who


def _plain(value):
    """A value JSON can hold."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
