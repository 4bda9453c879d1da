"""Applying stored scans: each in a savepoint of its own, or a run set-based where its
domain can; the job's chunks and backlogs, stuck scans, and the conflicts they leave.

Kept apart from receiving (services.py): a scan applied inline and one the job applies
from the backlog go through the same apply(), and the job, the sweep, the console tile
and the conflicts page need nothing of how a batch is received or checked.
"""
from collections import Counter
from datetime import timedelta
from functools import cache
from itertools import groupby

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ..audit.trail import acting_as
from ..bulksql import as_arrays, by_column, one_of, unnested
from ..catalog.stock import StockError
from ..conflicts import changed_meanwhile
from ..extensions import db
from ..timeutil import utcnow
from . import actions
from .actions import Conflict, Rejected
from .models import ScanRecord


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
        except StaleDataError:
            continue  # the savepoint is undone; judge again against what was written
        # A deadlock is not tried again here: rolling back to the savepoint keeps the
        # locks the transaction's earlier scans took, so the other transaction, which
        # may be waiting on one of them, would win every try and a valid scan end as a
        # conflict. It undoes the whole transaction: the request (sync.views._received)
        # or the job's chunk (_chunk_applied) is done again.
        return record
    record.status, record.reason = "conflict", "its task kept changing under other scans"
    return record


def _effect(record):
    """Run the scan through its domain's rules (the same as online); return what it did."""
    return actions.get(record.action).apply(record)


# Stored scans applied one by one per transaction by the job. Fewer commits, and the
# rows the scans share stay in the session; on SQLite the write lock is held ~3 ms a
# scan, so 50 keeps an online scanner's wait under ~0.2 s while a backlog is applied.
APPLY_CHUNK = 50
# Scans per transaction where their domain applies them set-based (pick scans): a few
# statements per run, ~0.1 ms a scan, so the lock is held about as long as for 50.
BULK_CHUNK = 1000

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
    counts = Counter()
    for ids in _chunks(rows, bulk):
        counts.update(_chunk_applied(ids, bulk))
    return dict(counts)


def _chunk_applied(ids, bulk):
    """Apply one chunk in a transaction of its own, committed; done again from its start
    when PostgreSQL undid it to break a deadlock (the Counter of outcomes)."""
    for attempt in range(STALE_TRIES):
        try:
            # Still stored once locked: else a concurrent run got here first.
            records = [r for r in _locked(ids) if r.status == "stored"]
            applied = Counter(r.status for r in _apply_chunk(records, bulk))
            db.session.commit()
            return applied
        except DBAPIError as error:
            if not changed_meanwhile(error) or attempt == STALE_TRIES - 1:
                raise  # the job's RQ retry has it next
            db.session.rollback()
    raise AssertionError("unreachable: the last try returns or raises")


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
