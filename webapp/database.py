"""Engine tuning so that concurrent writers never see "database is locked".

SQLite: WAL lets readers run beside the single writer, busy_timeout makes a
writer wait for the lock instead of failing, and BEGIN IMMEDIATE takes the write
lock at the start of the transaction. Without it, two deferred transactions
that both read and then write deadlock on the lock upgrade, and SQLite answers
one of them "database is locked" at once, whatever the timeout: the failure
the peer systems show under concurrent stock writes.
"""
from sqlalchemy import event


def tune_engine(engine):
    """Attach the per-dialect connection settings to an engine."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to us so "begin" below decides how to begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
