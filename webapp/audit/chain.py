"""A hash chain over an append-only table: any later change to a sealed row shows.

Rows are written as usual and sealed afterwards, in batches: each sealed row gets
the next `seal_seq`, the previous row's hash and its own hash, computed over its
fields and that previous hash. Changing, deleting or reordering a sealed row
breaks the chain from there on, and `verify` names the first broken link.

Why seal later and not on insert: a hash of the previous row at insert time would
make every writer of the table wait for the one before it (every scan that moves
stock, across the warehouse). Sealing takes the chain's lock once per batch;
a row committed late (a long transaction) is simply sealed in a later batch, since
the chain's order is the sealing order, not the id order. On PostgreSQL a trigger
refuses UPDATE and DELETE meanwhile (see the migration); sealing is the one update
it lets through: the chain columns of a row not sealed yet.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select, text

from ..extensions import db

SEAL_BATCH = 5000
GENESIS = "0" * 64
_LOCK_KEY = 7_312_001  # pg_advisory_xact_lock key space of the app's chains (+ table)


@dataclass
class BrokenLink:
    """The first place the chain does not hold, as a person reads it."""

    seal_seq: int
    row_id: int | None
    problem: str

    def __str__(self):
        return f"link {self.seal_seq} (row {self.row_id}): {self.problem}"


def row_hash(fields, previous):
    """sha256 over the previous hash and the row's fields in a canonical form."""
    canonical = json.dumps({k: _plain(v) for k, v in fields.items()}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{previous}|{canonical}".encode()).hexdigest()


def _plain(value):
    """A value as the same text however it was read: times as UTC, ISO 8601, no zone
    (SQLite hands back naive UTC times, PostgreSQL and a fresh object aware ones)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat() if isinstance(value, datetime) else value


def seal(model, fields):
    """Seal the rows of `model` not sealed yet, in id order; return how many."""
    _lock_chain(model)
    seq, previous = head(model) or (0, GENESIS)
    total = 0
    while True:
        rows = db.session.scalars(select(model).where(model.seal_seq.is_(None))
                                  .order_by(model.id).limit(SEAL_BATCH)).all()
        if not rows:
            return total
        for row in rows:
            seq += 1
            row.seal_seq, row.prev_hash = seq, previous
            row.row_hash = previous = row_hash(_fields(row, fields), previous)
        db.session.flush()
        total += len(rows)


def verify(model, fields):
    """Walk the sealed rows in order; return the first BrokenLink, or None."""
    previous, expected_seq = GENESIS, 1
    while True:
        rows = db.session.scalars(select(model).where(model.seal_seq >= expected_seq)
                                  .order_by(model.seal_seq).limit(SEAL_BATCH)).all()
        for row in rows:
            if row.seal_seq != expected_seq:
                return BrokenLink(expected_seq, None, "missing: a sealed row was deleted")
            if row.prev_hash != previous:
                return BrokenLink(row.seal_seq, row.id, "does not follow the link before it")
            if row.row_hash != row_hash(_fields(row, fields), previous):
                return BrokenLink(row.seal_seq, row.id, "changed after it was sealed")
            previous, expected_seq = row.row_hash, expected_seq + 1
        if len(rows) < SEAL_BATCH:
            return None


def head(model):
    """The chain's last link as (seal_seq, row_hash), or None while nothing is sealed."""
    last = db.session.execute(select(model.seal_seq, model.row_hash)
                              .where(model.seal_seq.is_not(None))
                              .order_by(model.seal_seq.desc()).limit(1)).first()
    return (last.seal_seq, last.row_hash) if last else None


def missing_head(model, known):
    """A BrokenLink when a link seen earlier, (seal_seq, row_hash), is gone or changed:
    the walk from the first link cannot see the newest links deleted (or a TRUNCATE)."""
    if not known:
        return None
    seq, digest = known
    found = db.session.scalar(select(model.row_hash).where(model.seal_seq == seq))
    if found is None:
        return BrokenLink(seq, None, "missing: the chain ends before a link an earlier "
                                     "check saw (sealed rows were deleted)")
    if found != digest:
        return BrokenLink(seq, None, "changed since an earlier check saw it")
    return None


def unsealed(model):
    """How many rows wait to be sealed."""
    return db.session.scalar(select(func.count()).select_from(model)
                             .where(model.seal_seq.is_(None)))


def _fields(row, fields):
    """The hashed fields of a row."""
    return {name: getattr(row, name) for name in fields}


def _lock_chain(model):
    """One sealer per chain at a time (SQLite's writer lock already gives that)."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = _LOCK_KEY + sum(map(ord, model.__tablename__))
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
