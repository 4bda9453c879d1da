"""Engine tuning so that concurrent writers never see "database is locked".

SQLite: WAL lets readers run beside the single writer, busy_timeout makes a
writer wait for the lock instead of failing, and BEGIN IMMEDIATE takes the write
lock at the start of the transaction. Without it, two deferred transactions
that both read and then write deadlock on the lock upgrade, and SQLite answers
one of them "database is locked" at once, whatever the timeout: the failure
the peer systems show under concurrent stock writes.
"""
from sqlalchemy import bindparam, column, event, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.sql.visitors import InternalTraversal


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


class OneOf(ColumnElement):
    """`column IN (the list bound as name)`, for lists of hundreds of values.

    SQLite gets an expanding IN. PostgreSQL gets `column IN (SELECT unnest(one
    array parameter))`: psycopg parses a statement's placeholders in Python and caches
    only short statements, so an IN of a placeholder per value is parsed afresh
    on every run, and for a stored batch's thousand scans that parse cost more
    than the query. Build with one_of(); bind the list by name when executing.
    """

    inherit_cache = True
    type = NullType()  # Boolean would have SQLite append "= 1"
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("name", InternalTraversal.dp_string)]

    def __init__(self, column, name):
        self.column, self.name = column, name


def one_of(column, name):
    """A OneOf condition: column's value is in the list bound as `name`."""
    return OneOf(column, name)


@compiles(OneOf)
def _one_of(element, compiler, **kw):
    return compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw)


@compiles(OneOf, "postgresql")
def _one_of_array(element, compiler, **kw):
    # IN (SELECT unnest(array)), a semi-join, rather than = ANY(array): its plan does
    # not hang on the planner's guess of the array's length (a prepared statement's
    # generic plan guesses ten). Two runs with = ANY answered a replay of 10,000 uuids
    # in 5-6 s, but main's IN list once took 1.6 s on this busy machine: unproven.
    array = bindparam(element.name, type_=postgresql.ARRAY(element.column.type))
    return compiler.process(element.column.in_(select(func.unnest(array))), **kw)


# Rows from which a statement binds them as arrays (unnested) on PostgreSQL. Below,
# the plain statement is short (psycopg caches its parse) and plans cheaper: a scan
# applied inline writes one or two rows of each kind.
UNNEST_FROM = 20


def as_arrays(dialect, count):
    """True when `count` rows go as one array per column (unnested) on `dialect`."""
    return dialect == "postgresql" and count >= UNNEST_FROM


def unnested(name, columns, prefix=""):
    """`unnest(:a, :b...) WITH ORDINALITY AS name(a, b..., n)` for PostgreSQL: rows
    bound as one array per column (by_column), named like the columns (after
    `prefix`: an UPDATE may not bind a column's own name), in order by n.
    A thousand rows are then one statement of a few parameters, instead of a multi-row
    VALUES or an executemany psycopg runs statement by statement."""
    return func.unnest(*(bindparam(prefix + c.name, type_=postgresql.ARRAY(c.type))
                         for c in columns)
                       ).table_valued(*(column(c.name, c.type) for c in columns),
                                      with_ordinality="n").render_derived(name)


def by_column(rows, names, prefix=""):
    """Rows (dicts) as one list per column: the parameters of an unnested()."""
    return {prefix + name: [row[name] for row in rows] for name in names}
