"""Set-based SQL for many rows at once, past SQLAlchemy's and the driver's per-row work.

A wave writes ~300,000 reservations, ~300,000 pick tasks and ~100,000 events and audit
entries. Through `connection.execute(insert(Model), rows)` SQLAlchemy builds a parameter
dict per row (a third of the SQLite write time), and psycopg sends each row as a statement
of its own in a pipeline (most of PostgreSQL's wave time). Here each value still goes
through the column type's own bind processor, so what is stored is what SQLAlchemy would
store, and the column's Python default fills a column the rows leave out; then SQLite gets
one executemany in C and PostgreSQL one COPY. Both run on the session's connection, so
they belong to its transaction. No ids come back: use insert(...).returning for that.

Reads name thousands of ids (a chunk of 2,000 orders, their 6,000 lines): ``in_ids``
writes them into the statement as numbers, not as thousands of bound parameters that
psycopg parses out of the query text one by one (30-100 ms a statement at 6,000).
``one_of`` does the same for a statement built once, for any type (uuids, codes).

A stored batch of synced scans (sync.services, sync.applying, picking.scan_batch,
catalog.stock's move_stock_many) needs its rows back or joined (ON CONFLICT ...
RETURNING, UPDATE ... FROM): on PostgreSQL from many rows on (``as_arrays``) those
bind one array per column and read them through ``unnested``; a few rows keep the
plain statement.
"""
from sqlalchemy import bindparam, column, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.sql.visitors import InternalTraversal


def in_ids(column, ids):
    """``column IN (ids)`` with the integer ids written into the SQL text."""
    return column.in_(bindparam(None, [int(i) for i in ids], expanding=True,
                                literal_execute=True))


def insert_rows(connection, table, rows):
    """Insert these rows (dicts with the same keys) into a Table or a model's table."""
    rows = list(rows)
    if not rows:
        return
    table = getattr(table, "__table__", table)
    dialect = connection.dialect
    given = list(rows[0])
    columns = [table.c[name] for name in given]
    columns += [c for c in table.c if c.name not in rows[0] and _python_default(c)]
    defaults = [_python_default(c)() for c in columns[len(given):]]
    processors = [c.type._cached_bind_processor(dialect) for c in columns]
    values = [[row[name] for name in given] + defaults for row in rows]
    for n, process in enumerate(processors):
        if process:
            for value in values:
                value[n] = process(value[n])
    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(c.name) for c in columns)
    target = quote.format_table(table)
    cursor = connection.connection.driver_connection.cursor()
    try:
        if dialect.name == "postgresql":
            with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            marks = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {target} ({names}) VALUES ({marks})", values)
    finally:
        cursor.close()


def add_to_column(connection, table, column, changes):
    """Add an amount to a column of many rows: {row id: amount}, one statement.

    The table's CHECK constraints still stand guard, as with one UPDATE per row.
    """
    if not changes:
        return
    table = getattr(table, "__table__", table)
    quote = connection.dialect.identifier_preparer
    target, name = quote.format_table(table), quote.quote(column)
    cursor = connection.connection.driver_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            cursor.execute(
                f"UPDATE {target} SET {name} = {target}.{name} + change.amount "
                f"FROM unnest(%s::bigint[], %s::bigint[]) AS change(id, amount) "
                f"WHERE {target}.id = change.id", (list(changes), list(changes.values())))
        else:
            cursor.executemany(f"UPDATE {target} SET {name} = {name} + ? WHERE id = ?",
                               [(amount, row) for row, amount in changes.items()])
    finally:
        cursor.close()


def _python_default(column):
    """A function giving the column's Python-side default, or None when it has none."""
    default = column.default
    if default is None or column.primary_key:
        return None
    if default.is_scalar:
        return lambda: default.arg
    if default.is_callable:
        return lambda: default.arg(None)
    return None


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
