"""Transaction-level advisory locks (PostgreSQL), for work that has no row to lock."""
from sqlalchemy import text

from .extensions import db

# Lock classes, the first of two keys (the audit chains use one-key locks, 7_312_001 on:
# PostgreSQL keeps one-key and two-key advisory locks apart).
OPENING_MANIFEST = 7_312_101  # opening a carrier's next manifest (handoff)
BUILTIN_SERIALS = 7_312_102  # issuing the built-in carrier's tracking serials


def hold(kind, name):
    """Hold the lock (kind, name) till the transaction ends; on SQLite, where the writer
    lock taken at BEGIN IMMEDIATE already serialises writers, nothing."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:kind, hashtext(:name))"),
                           {"kind": kind, "name": name})
