"""Exactly-once application of scans synced from devices.

Each scan carries a uuid made on the device. The scan row (unique on that
uuid) and its effect are written in one transaction: a replayed batch, a
second tab or a retry after a timeout finds the uuid taken and answers
`duplicate`. The server stays the authority: a scan that no longer fits is
stored as a `conflict` for a supervisor, never dropped, never applied.

This module receives a batch; a scan is built and checked in checks.py and applied
in applying.py.
"""
import uuid
from functools import cache

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..accounts.services import note_device
from ..bulksql import as_arrays, by_column, unnested
from ..extensions import db
from ..limits import whole_number
from . import actions
from .applying import apply
from .checks import is_uuid, known_uuids, record_of
from .models import ScanRecord

INLINE_LIMIT = 200      # larger batches are stored and applied by a job
MAX_BATCH = 5000        # larger requests get 413


def receive(batch, device, session_user=None):
    """Store (and, for small batches, apply) a batch; return one result per scan."""
    scans = batch["scans"]
    pending = whole_number(batch.get("pending"), 0)
    if device is not None and device.pending_scans != pending:  # unchanged: nothing to write
        note_device(device, pending_scans=pending)
    existing, backlog = known_uuids(scans, device)
    if len(scans) > INLINE_LIMIT or backlog:
        batch_id = str(uuid.uuid4())
        return _store_all(scans, device, session_user, existing, batch_id), batch_id
    return [_receive_one(raw, device, session_user, existing) for raw in scans], None


def _receive_one(raw, device, session_user, existing):
    """Store one scan and apply it, in a savepoint of its own."""
    scan_id = raw.get("id") if isinstance(raw, dict) else None
    if not is_uuid(scan_id):
        return _bad_id(scan_id)
    if scan_id in existing:
        return _duplicate(scan_id)
    record, problem = record_of(raw, device, session_user)
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
        if not is_uuid(scan_id):
            results.append(_bad_id(scan_id))
            continue
        if scan_id in existing:  # stored before, or earlier in this very batch
            results.append(_duplicate(scan_id))
            continue
        existing.add(scan_id)
        record, problem = record_of(raw, device, session_user, make=_Stored)
        record.batch_id = batch_id
        record.status, record.reason = ("rejected", problem) if problem else ("stored", "")
        rows.append(_row(record))
        results.append({"id": scan_id, "status": record.status, "reason": record.reason})
    inserted = _insert_new(rows)
    written = {row["scan_uuid"] for row in rows}
    return [_duplicate(r["id"]) if is_uuid(r["id"]) and r["id"] in written
            and r["id"] not in inserted else r for r in results]


class _Stored:
    """A scan of a stored batch while it is checked: a ScanRecord's columns as plain
    attributes. Its row is written with a Core INSERT, so the ORM's instance and
    attribute bookkeeping (38 events a scan) would be work for nothing."""

    def __init__(self, **columns):
        self.__dict__.update(columns)


def _row(record):
    """The stored columns of a scan built by checks.record_of."""
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

