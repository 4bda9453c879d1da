"""Exactly-once application of scans synced from devices.

Each scan carries a uuid made on the device. The scan row (unique on that
uuid) and its effect are written in one transaction: a replayed batch, a
second tab or a retry after a timeout finds the uuid taken and answers
`duplicate`. The server stays the authority: a scan that no longer fits is
stored as a `conflict` for a supervisor, never dropped, never applied.
"""
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import json
from functools import cache
from itertools import groupby

from flask import g
from sqlalchemy import bindparam, cast, func, null, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..accounts.models import User, UserRole
from ..accounts.services import (device_scan_problem, known_sign_in, note_device,
                                 signed_in_column)
from ..catalog.stock import StockError
from ..conflicts import changed_meanwhile
from ..audit.trail import acting_as
from ..bulksql import as_arrays, by_column, one_of, unnested
from ..extensions import db
from ..limits import MAX_INT, out_of_range, whole_number
from ..timeutil import utcnow
from . import actions
from .actions import Conflict, Rejected  # noqa: F401 - the names callers know
from .models import ScanRecord

INLINE_LIMIT = 200      # larger batches are stored and applied by a job
MAX_BATCH = 5000        # larger requests get 413
# Stored scans applied one by one per transaction by the job. Fewer commits, and the
# rows the scans share stay in the session; on SQLite the write lock is held ~3 ms a
# scan, so 50 keeps an online scanner's wait under ~0.2 s while a backlog is applied.
APPLY_CHUNK = 50
# Scans per transaction where their domain applies them set-based (pick scans): a few
# statements per run, ~0.1 ms a scan, so the lock is held about as long as for 50.
BULK_CHUNK = 1000


def receive(batch, device, session_user=None):
    """Store (and, for small batches, apply) a batch; return one result per scan."""
    scans = batch["scans"]
    pending = _int(batch.get("pending"), 0)
    if device is not None and device.pending_scans != pending:  # unchanged: nothing to write
        note_device(device, pending_scans=pending)
    existing, backlog = _existing_uuids(scans, device)
    if len(scans) > INLINE_LIMIT or backlog:
        batch_id = str(uuid.uuid4())
        return _store_all(scans, device, session_user, existing, batch_id), batch_id
    return [_receive_one(raw, device, session_user, existing) for raw in scans], None


def _receive_one(raw, device, session_user, existing):
    """Store one scan and apply it, in a savepoint of its own."""
    scan_id = raw.get("id") if isinstance(raw, dict) else None
    if not _is_uuid(scan_id):
        return _bad_id(scan_id)
    if scan_id in existing:
        return _duplicate(scan_id)
    record, problem = _record(raw, device, session_user)
    if problem:
        record.status, record.reason = "rejected", problem
    elif (answer := _apply_now(record, existing)) is not None:
        return answer
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:  # the same uuid arrived meanwhile (another tab)
        return _duplicate(scan_id)
    existing.add(scan_id)
    if not problem:
        apply(record)
    return {"id": scan_id, "status": record.status, "reason": record.reason}


def _apply_now(record, existing):
    """Judge a scan whose domain can without writing, store it with its outcome, then
    write its effect: one transaction, and a uuid taken meanwhile (another tab) writes
    nothing. None when the domain hands the scan to the one-by-one path."""
    action = actions.get(record.action)
    if action.apply_now is None:
        return None
    try:
        status, reason, write = action.apply_now(record)
    except actions.OneByOne:
        return None
    record.status, record.reason = status, reason
    if not _insert_new([_row(record)]):
        return _duplicate(record.scan_uuid)
    existing.add(record.scan_uuid)
    if status == "applied":
        try:
            write()
        except actions.OneByOne:  # its row changed since it was judged (another scan of it)
            _judge_again(record)
    return {"id": record.scan_uuid, "status": record.status, "reason": record.reason}


def _judge_again(record):
    """Apply a scan stored by _apply_now one by one, against its rows as they are now,
    and store the outcome on its row."""
    apply(record)
    db.session.execute(update(ScanRecord.__table__)
                       .where(ScanRecord.__table__.c.scan_uuid == record.scan_uuid)
                       .values(status=record.status, reason=record.reason))


# The columns a stored scan is written with; the rest keep their defaults.
_STORED_COLUMNS = ("scan_uuid", "device_id", "seq", "device_time", "user_id", "action", "code",
                   "quantity", *actions.REFERENCES, "payload", "status", "reason", "batch_id")


def _store_all(scans, device, session_user, existing, batch_id):
    """Store a large batch for the job to apply: checked one by one, written in one go.

    A multi-row INSERT ... ON CONFLICT DO NOTHING instead of a savepoint and a
    flush per scan: this is what a device back from a long offline spell waits
    on, and the job, not the device, pays for applying. A uuid taken meanwhile
    (another tab, a retry racing this one) is simply not inserted: a duplicate.
    """
    results, rows = [], []
    for raw in scans:
        scan_id = raw.get("id") if isinstance(raw, dict) else None
        if not _is_uuid(scan_id):
            results.append(_bad_id(scan_id))
            continue
        if scan_id in existing:  # stored before, or earlier in this very batch
            results.append(_duplicate(scan_id))
            continue
        existing.add(scan_id)
        record, problem = _record(raw, device, session_user, make=_Stored)
        record.batch_id = batch_id
        record.status, record.reason = ("rejected", problem) if problem else ("stored", "")
        rows.append(_row(record))
        results.append({"id": scan_id, "status": record.status, "reason": record.reason})
    inserted = _insert_new(rows)
    written = {row["scan_uuid"] for row in rows}
    return [_duplicate(r["id"]) if _is_uuid(r["id"]) and r["id"] in written
            and r["id"] not in inserted else r for r in results]


class _Stored:
    """A scan of a stored batch while it is checked: a ScanRecord's columns as plain
    attributes. Its row is written with a Core INSERT, so the ORM's instance and
    attribute bookkeeping (38 events a scan) would be work for nothing."""

    def __init__(self, **columns):
        self.__dict__.update(columns)


def _row(record):
    """The stored columns of a scan built by _record."""
    return {column: getattr(record, column) for column in _STORED_COLUMNS}


def _insert_new(rows):
    """INSERT the rows, skipping uuids already stored; return the uuids inserted."""
    if not rows:
        return set()
    dialect = db.session.get_bind().dialect.name
    arrays = as_arrays(dialect, len(rows))
    if arrays:  # one array per column (see _insert_statement)
        rows = by_column(rows, _STORED_COLUMNS)
    return set(db.session.execute(_insert_statement(dialect, arrays), rows).scalars())


@cache
def _insert_statement(dialect, arrays):
    """INSERT ... ON CONFLICT (scan_uuid) DO NOTHING RETURNING scan_uuid, built once.

    With `arrays` (PostgreSQL, many rows) the rows come as one array per column,
    unnested in order: a single statement of a dozen parameters. The multi-row VALUES
    SQLAlchemy makes instead (insertmanyvalues) has a placeholder per value, 19,000
    for 1,000 scans, and psycopg parses every such statement afresh in Python (it
    caches only short ones): that parse was most of a stored batch's time on
    PostgreSQL. A few rows (a scan applied inline) keep VALUES: that statement is
    short, its parse cached. SQLite's driver binds ? placeholders without parsing.
    """
    table = ScanRecord.__table__
    if not arrays:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        return (insert(table).on_conflict_do_nothing(index_elements=["scan_uuid"])
                .returning(table.c.scan_uuid))
    rows = unnested("scans", [table.c[name] for name in _STORED_COLUMNS])
    in_order = select(*(rows.c[name] for name in _STORED_COLUMNS)).order_by(rows.c.n)
    return (postgresql.insert(table).from_select(_STORED_COLUMNS, in_order)
            .on_conflict_do_nothing(index_elements=["scan_uuid"]).returning(table.c.scan_uuid))


def _bad_id(scan_id):
    """The answer for a scan without a proper uuid (it cannot be stored: no key)."""
    shown = None if scan_id is None else str(scan_id)[:64]  # a string, as documented
    return {"id": shown, "status": "rejected", "reason": "id must be a UUID"}


def _duplicate(scan_id):
    """The answer for a scan the server already holds."""
    return {"id": scan_id, "status": "duplicate", "reason": "already received"}


# Times a scan is judged again when a row it read was written by another scan at the
# same instant (PostgreSQL; a pick task's version), or its savepoint was undone to break
# a deadlock: each try reads what the other one wrote.
STALE_TRIES = 3


def apply(record):
    """Apply a stored scan once; record applied, conflict or rejected on it."""
    for _ in range(STALE_TRIES):
        try:
            # acting_as outside the savepoint: releasing it flushes the scan's changes, and
            # the audit entries written then must still name the scan's person and device.
            with acting_as(record.user_id, record.device_id, record.device_time,
                           f"scan {record.scan_uuid}"), db.session.begin_nested():
                message = _effect(record)
            record.status, record.reason = "applied", message
        except Conflict as error:
            record.status, record.reason = "conflict", str(error)
        except Rejected as error:
            record.status, record.reason = "rejected", str(error)
        except (StaleDataError, DBAPIError) as error:
            if not changed_meanwhile(error):
                raise
            continue  # the savepoint is undone; judge again against what was written
        return record
    record.status, record.reason = "conflict", "its task kept changing under other scans"
    return record


def _effect(record):
    """Run the scan through its domain's rules (the same as online); return what it did."""
    return actions.get(record.action).apply(record)


def _record(raw, device, session_user, make=ScanRecord):
    """Build the scan row (a `make`, ScanRecord or _Stored) from raw JSON; return
    (record, problem or None)."""
    record = make(scan_uuid=raw["id"], device_id=device.id if device else None,
                        action=str(raw.get("action") or "")[:16],
                        code=str(raw.get("code") or "")[:200], status="stored", reason="")
    record.seq = _int(raw.get("seq"), -1)
    record.quantity = _int(raw.get("quantity"), 0)
    record.user_id = _int(raw.get("user_id"), None)
    for reference in actions.REFERENCES:
        setattr(record, reference, _int(raw.get(reference), None))
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
    thousands of scans names the same one or two people (_existing_uuids reads those
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


def _existing_uuids(scans, device=None):
    """The uuids of this batch already stored (the fast path for replays), and whether
    earlier scans of the device still wait for the job (then these wait behind them,
    in order): one statement for a request of up to 500 scans, which also reads the
    people the scans name (for _scanning_user: one round trip less for every scan a
    handheld sends alone)."""
    ids = [s.get("id") for s in scans if isinstance(s, dict) and _is_uuid(s.get("id"))]
    people = list(dict.fromkeys(
        user_id for s in scans if isinstance(s, dict)
        and (user_id := _int(s.get("user_id"), None)) is not None))[:PEOPLE_AHEAD]
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


# A scan stored longer than this is shown to the supervisor as stuck: its job is late
# or lost (the periodic sweep applies it).
STUCK_AFTER = timedelta(minutes=1)
ANY_DEVICE = object()  # apply_stored(): every device's scans


def apply_stored(batch_id=None, limit=None, device_id=ANY_DEVICE, bulk=True):
    """Apply stored scans in device and sequence order, a chunk to a transaction;
    re-runnable: a chunk is committed whole or not at all, and what was applied is no
    longer 'stored'. device_id=None means scans sent from a signed-in session.
    With bulk, runs of an action its domain applies set-based are applied so; without,
    every scan one by one (the same answers: tests/sync/test_bulk_apply.py)."""
    query = select(ScanRecord.id, ScanRecord.action).where(ScanRecord.status == "stored")
    if batch_id:
        query = query.where(ScanRecord.batch_id == batch_id)
    if device_id is not ANY_DEVICE:
        query = query.where(ScanRecord.device_id.is_(None) if device_id is None
                            else ScanRecord.device_id == device_id)
    rows = db.session.execute(query.order_by(ScanRecord.device_id, ScanRecord.seq,
                                             ScanRecord.id).limit(limit)).all()
    counts = {}
    for ids in _chunks(rows, bulk):
        records = [r for r in _locked(ids) if r.status == "stored"]  # else a concurrent
        for record in _apply_chunk(records, bulk):                   # run got here first
            counts[record.status] = counts.get(record.status, 0) + 1
        db.session.commit()
    return counts


def _chunks(rows, bulk):
    """The scan ids in transactions of at most APPLY_CHUNK scans applied one by one
    (on SQLite the write lock is held ~3 ms each), or BULK_CHUNK applied set-based."""
    chunk, weight = [], 0
    for scan_id, action in rows:
        scan_action = actions.get(action)
        cost = 1 if bulk and scan_action and scan_action.apply_many else BULK_CHUNK // APPLY_CHUNK
        if chunk and weight + cost > BULK_CHUNK:
            yield chunk
            chunk, weight = [], 0
        chunk.append(scan_id)
        weight += cost
    if chunk:
        yield chunk


def _apply_chunk(records, bulk):
    """Apply locked stored scans in order: each run of one action set-based where its
    domain can, else (or when that gives up) one scan at a time; return the records."""
    for name, run in groupby(records, key=lambda record: record.action):
        run = list(run)
        action = actions.get(name)
        if bulk and action is not None and action.apply_many and _apply_run(action, run):
            continue
        for record in run:
            apply(record)  # in a savepoint of its own: a conflict undoes only its scan
    return records


def _apply_run(action, run):
    """Apply a run set-based and write each scan's outcome; False when the domain gave
    up (nothing of the run is left written: it goes one by one)."""
    try:
        with db.session.begin_nested():
            outcomes = action.apply_many(run)
            _write_outcomes([{"id": record.id, "status": status, "reason": reason}
                             for record, (status, reason) in zip(run, outcomes)])
    except (actions.OneByOne, StockError, IntegrityError):
        return False
    for record, (status, reason) in zip(run, outcomes):
        set_committed_value(record, "status", status)
        set_committed_value(record, "reason", reason)
    return True


def _write_outcomes(rows):
    """Write each scan's status and reason ({id, status, reason} dicts)."""
    arrays = as_arrays(db.session.get_bind().dialect.name, len(rows))
    rows = (by_column(rows, _OUTCOME_COLUMNS, "new_") if arrays
            else [{f"new_{name}": value for name, value in row.items()} for row in rows])
    db.session.execute(_outcome_statement(arrays), rows)


_OUTCOME_COLUMNS = ("id", "status", "reason")


@cache
def _outcome_statement(arrays):
    """The UPDATE of scans' outcomes: with `arrays` (PostgreSQL, many) one statement
    joined to the outcomes unnested, not an executemany of one UPDATE per scan."""
    table = ScanRecord.__table__
    if not arrays:
        return (update(table).where(table.c.id == bindparam("new_id"))
                .values(status=bindparam("new_status"), reason=bindparam("new_reason")))
    rows = unnested("outcomes", [table.c[name] for name in _OUTCOME_COLUMNS], "new_")
    return update(table).where(table.c.id == rows.c.id).values(status=rows.c.status,
                                                               reason=rows.c.reason)


def apply_backlogs(device_ids):
    """Apply each device's whole backlog of stored scans (its earlier stranded batches
    too, in sequence order); return the counts added up."""
    counts = {}
    for device_id in device_ids:
        for status, number in apply_stored(device_id=device_id).items():
            counts[status] = counts.get(status, 0) + number
    return counts


def backlog_devices(batch_id=None, older_than=None):
    """The devices (None: signed-in sessions) holding stored scans, of one batch or
    stored longer than older_than (a timedelta)."""
    query = select(ScanRecord.device_id).where(ScanRecord.status == "stored").distinct()
    if batch_id:
        query = query.where(ScanRecord.batch_id == batch_id)
    if older_than is not None:
        query = query.where(ScanRecord.server_time <= utcnow() - older_than)
    return sorted(db.session.scalars(query), key=lambda d: (d is not None, d or 0))


def stuck_scans(older_than=STUCK_AFTER):
    """How many scans have waited `stored` longer than older_than: a supervisor's alarm."""
    return db.session.scalar(select(func.count()).select_from(ScanRecord).where(
        ScanRecord.status == "stored", ScanRecord.server_time <= utcnow() - older_than))


def _locked(ids):
    """The scan rows, locked and read afresh, in device and sequence order.

    FOR UPDATE on PostgreSQL (SQLite's writer lock does the same): two runs at once
    must not both find a scan still stored. Within the chunk's transaction the pick
    lists, tasks and locations the scans share stay loaded: most lookups of the next
    scan are answered from the session, not the database.
    """
    return db.session.scalars(_LOCKED, {"ids": ids}).all()


_LOCKED = (select(ScanRecord).where(one_of(ScanRecord.id, "ids")).with_for_update()
           .order_by(ScanRecord.device_id, ScanRecord.seq, ScanRecord.id)
           .execution_options(populate_existing=True))


CONFLICTS_PER_PAGE = 50


def conflicts(page=1, per_page=CONFLICTS_PER_PAGE):
    """One page of the unresolved conflicts, oldest first, and how many there are."""
    open_ = (ScanRecord.status == "conflict", ScanRecord.resolved_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(ScanRecord).where(*open_))
    rows = db.session.scalars(select(ScanRecord).where(*open_).order_by(ScanRecord.id)
                              .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return rows, total


def resolve(record_id, user_id, note):
    """Close a conflict with the supervisor's decision (the scan itself stays)."""
    record = db.session.get(ScanRecord, record_id)
    if record is None or record.status != "conflict":
        raise Rejected("no such conflict")
    record.resolved_at, record.resolved_by_id = utcnow(), user_id
    record.resolution = (note or "").strip()[:2000] or "acknowledged"
    return record


def _is_uuid(value):
    """True for a canonical UUID string."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _int(value, default):
    """An int the database can hold, from an int (not a bool) or digit string, else the
    default (a bigger one reaching the database is a 500)."""
    return whole_number(value, default)


def _time(value):
    """A timezone-aware datetime from ISO 8601 text, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
