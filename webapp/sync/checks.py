"""Checking a synced scan, and the person it names, before it is stored.

Kept apart from receiving (services.py) and applying (applying.py): both ways a batch
is received, inline and stored for the job, build and judge every scan the same way
here, and what a scan needs of its person is read once per request and kept on `g`,
which is this module's concern alone. Nothing here writes.
"""
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import g
from sqlalchemy import bindparam, cast, null, select, union_all

from ..accounts.models import User, UserRole
from ..accounts.services import device_scan_problem, known_sign_in, signed_in_column
from ..bulksql import one_of
from ..extensions import db
from ..limits import MAX_INT, out_of_range, whole_number
from . import actions
from .models import ScanRecord


def record_of(raw, device, session_user, make=ScanRecord):
    """Build the scan row (a `make`: ScanRecord, or services._Stored for a stored
    batch) from raw JSON; return (record, problem or None)."""
    record = make(scan_uuid=raw["id"], device_id=device.id if device else None,
                        action=str(raw.get("action") or "")[:16],
                        code=str(raw.get("code") or "")[:200], status="stored", reason="")
    # Only numbers the database can hold (whole_number's bounds): a bigger one reaching
    # it is a 500. _too_big names the field instead.
    record.seq = whole_number(raw.get("seq"), -1)
    record.quantity = whole_number(raw.get("quantity"), 0)
    record.user_id = whole_number(raw.get("user_id"), None)
    for reference in actions.REFERENCES:
        setattr(record, reference, whole_number(raw.get(reference), None))
    record.payload, payload_problem = _payload(raw.get("payload"))
    record.device_time = _time(raw.get("device_time"))
    problem = _too_big(raw) or payload_problem or _problem(record, raw, session_user)
    refused = raw.get("refused")
    if problem is None and refused:
        # The device refused it (wrong item, too many...) and the person acted on that:
        # the unit is not in the cart or the box. Kept on record, never applied, even
        # where the server would have judged otherwise.
        problem = f"refused on the device: {str(refused)[:300]}"
    if problem and record.user_id is not None \
            and _scanning_user(record.user_id, record.device_id) is None:
        # Kept without the dangling key: a foreign key violation would lose the scan
        # (taken for a uuid clash, "duplicate") or fail the whole stored batch.
        problem, record.user_id = f"{problem} (user_id {record.user_id} names nobody)", None
    return record, problem


def _too_big(raw):
    """Name the first number of the scan the database cannot hold, or None."""
    for field in ("seq", "quantity", "user_id", *actions.REFERENCES):
        if out_of_range(raw.get(field)):
            return f"{field} is out of range (at most {MAX_INT})"
    return None


def _problem(record, raw, session_user):
    """Why a scan is malformed, or None."""
    action = actions.get(record.action)
    if action is None:
        return f"unknown action {str(raw.get('action'))[:40]!r}"
    if not record.code.strip():
        return "empty code"
    if record.seq < 0:
        return "seq must be a whole number"
    if record.quantity < 1:
        return "quantity must be a whole number above zero"
    if record.device_time is None:
        return "device_time must be an ISO 8601 time"
    if any(getattr(record, need) is None for need in action.needs):
        return f"a {action.name} scan needs {' and '.join(action.needs)}"
    problem = action.check(record) if action.check else None
    return problem or _user_problem(record, action, session_user)


def _payload(value):
    """The scan's extra fields as a dict (or None), and the problem with them."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        return None, "payload must be a JSON object"
    try:
        size = len(json.dumps(value, allow_nan=False))
    except ValueError:  # NaN or Infinity: PostgreSQL's json refuses them
        return None, "payload must be plain JSON (no NaN or Infinity)"
    if size > actions.MAX_PAYLOAD_BYTES:
        return None, f"payload is over {actions.MAX_PAYLOAD_BYTES // 1024} KB"
    return value, None


def _user_problem(record, action, session_user):
    """The scanning person must exist, be active, hold the role, and be who signed in."""
    if session_user is not None and record.user_id != session_user.id:
        return "user_id is not the signed-in person"
    user = _scanning_user(record.user_id, record.device_id) if record.user_id else None
    if user is None or not user.active:
        return "unknown or inactive user"
    if not user.roles & action.roles:
        return f"this person may not {record.action}"
    if record.device_id is not None:
        return device_scan_problem(record.device_id, user.id, action.roles)
    return None


@dataclass(frozen=True)
class _Person:
    """What judging a scan needs of the person it names."""

    id: int
    active: bool
    roles: frozenset


def _scanning_user(user_id, device_id=None):
    """The person a scan names (a _Person), or None; read once per request: a batch of
    thousands of scans names the same one or two people (known_uuids reads those
    a request names ahead, in its own statement). Read as plain rows, not a User:
    loading the entity and its roles cost a synced scan more than its task. Whether
    they signed in on the device comes in the same statement (for
    device_scan_problem, which asks next)."""
    users = g.setdefault("scanning_users", {})
    if user_id not in users:
        _keep_people([user_id], db.session.execute(
            _USER, {"id": user_id, "device_id": device_id}).all(), device_id)
    return users[user_id]


def _keep_people(user_ids, rows, device_id):
    """Keep the people read (rows of id, active, role, signed_in; several a person,
    one per role) for _scanning_user; ids without rows name nobody."""
    users = g.setdefault("scanning_users", {})
    roles, facts = defaultdict(set), {}
    for row in rows:
        facts[row.user_id] = row
        if row.role is not None:
            roles[row.user_id].add(row.role)
    for user_id in user_ids:
        row = facts.get(user_id)
        users[user_id] = row and _Person(user_id, row.active, frozenset(roles[user_id]))
        if row is not None and device_id is not None:
            known_sign_in(device_id, user_id, row.signed_in)


def _person_columns():
    """A person's columns for _keep_people: id, active, each role, signed in on the
    device (bind parameter `device_id`)."""
    return (User.id.label("user_id"), User.active, UserRole.role,
            signed_in_column(bindparam("device_id"), User.id).label("signed_in"))


_USER = (select(*_person_columns()).outerjoin(UserRole, UserRole.user_id == User.id)
         .where(User.id == bindparam("id")))

# The people one request may name, read ahead with its uuids: a device sends the scans
# of the few people who signed in on it. More are read one by one as scans name them.
PEOPLE_AHEAD = 20


def known_uuids(scans, device=None):
    """The uuids of this batch already stored (the fast path for replays), and whether
    earlier scans of the device still wait for the job (then these wait behind them,
    in order): one statement for a request of up to 500 scans, which also reads the
    people the scans name (for _scanning_user: one round trip less for every scan a
    handheld sends alone)."""
    ids = [s.get("id") for s in scans if isinstance(s, dict) and is_uuid(s.get("id"))]
    people = list(dict.fromkeys(
        user_id for s in scans if isinstance(s, dict)
        and (user_id := whole_number(s.get("user_id"), None)) is not None))[:PEOPLE_AHEAD]
    device_id = device.id if device is not None else None
    found, backlog, rows = set(), False, []
    for start in range(0, max(len(ids), 1), 500):
        first = start == 0
        for row in db.session.execute(_KNOWN, {
                "ids": ids[start:start + 500], "device": device_id if first else None,
                "people": people if first else [], "device_id": device_id}):
            if row.scan_uuid is not None:
                found.add(row.scan_uuid)
            elif row.user_id is None:
                backlog = True
            else:
                rows.append(row)
    _keep_people(people, rows, device_id)
    return found, backlog


def _nothing(*columns):
    """Typed NULLs standing in for other parts' columns in a UNION ALL (PostgreSQL
    takes two untyped NULLs for text)."""
    return [cast(null(), column.type).label(column.name) for column in columns]


# Built once: every synced request asks. Rows of three kinds: a stored uuid; one row
# of NULLs while a stored scan of the device waits (device NULL: none); a person's.
_PERSON = _person_columns()
_KNOWN = union_all(
    select(ScanRecord.scan_uuid, *_nothing(*_PERSON)).where(one_of(ScanRecord.scan_uuid, "ids")),
    select(*_nothing(ScanRecord.scan_uuid, *_PERSON)).where(select(ScanRecord.id).where(
        ScanRecord.device_id == bindparam("device"), ScanRecord.status == "stored")
        .limit(1).exists()),
    select(*_nothing(ScanRecord.scan_uuid), *_PERSON)
    .outerjoin(UserRole, UserRole.user_id == User.id).where(one_of(User.id, "people")))


def is_uuid(value):
    """True for a canonical UUID string."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _time(value):
    """A timezone-aware datetime from ISO 8601 text, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
