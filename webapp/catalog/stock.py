"""The only way stock changes: a ledger movement and both levels, in one transaction."""
from functools import cache

from sqlalchemy import bindparam, column, func, insert, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from ..bulksql import as_arrays, by_column, unnested
from ..extensions import db
from .models import StockLevel, StockMovement

REASONS = ("opening", "receipt", "putaway", "transfer", "pick", "unpick", "pack",
           "ship", "return", "defective", "adjustment", "count")


class StockError(ValueError):
    """A movement that cannot be made; the message is safe to show a person."""


class InsufficientStock(StockError):
    """The source location does not hold enough of the product."""


def move_stock(product_id, quantity, *, reason, from_location_id=None, to_location_id=None,
               user_id=None, device_id=None, source=None, consume_reserved=0):
    """Move `quantity` of a product and write the ledger line; return the movement.

    Units reserved at the source for orders cannot be taken, except the
    `consume_reserved` of them that this move fulfils (a pick of its own
    reservation). Runs in a savepoint, so a refused move leaves the caller's
    transaction usable (a sync batch can refuse one scan and apply the next).
    The caller commits.
    """
    _validate(quantity, reason, from_location_id, to_location_id)
    if not 0 <= consume_reserved <= quantity or (consume_reserved and from_location_id is None):
        raise StockError("Reserved units can only be consumed from the source, up to the quantity.")
    deltas = {}
    if from_location_id is not None:
        deltas[from_location_id] = -quantity
    if to_location_id is not None:
        deltas[to_location_id] = quantity
    with db.session.begin_nested():
        # Touch rows in id order so two opposite transfers cannot deadlock.
        for location_id in sorted(deltas):
            if deltas[location_id] < 0:
                _take(product_id, location_id, quantity, consume_reserved)
            else:
                _put(product_id, location_id, quantity)
        movement = StockMovement(
            product_id=product_id, quantity=quantity, reason=reason,
            from_location_id=from_location_id, to_location_id=to_location_id,
            user_id=user_id, device_id=device_id, source=source)
        db.session.add(movement)
    return movement


def move_stock_many(moves, releases=()):
    """Write many judged movements in a few statements: the ledger lines in one INSERT,
    each level touched once with its net change. Returns how many lines were written.

    For a caller that judged the moves in order against levels it locked and read
    (take_refusal), as move_stock would have one by one: the picking backlog of a
    device back from a dead zone. `moves` are dicts of move_stock's arguments
    (product_id, quantity, reason, from_location_id, to_location_id, user_id,
    device_id, source, consume_reserved); `releases` are (product_id, location_id,
    quantity) of reservations given back. The levels' CHECKs refuse a net result
    below zero or reserving more than the shelf holds (the caller's savepoint then
    undoes the lot). The caller commits.
    """
    deltas, lines = {}, []
    for move in moves:
        quantity, held = move["quantity"], move.get("consume_reserved", 0)
        _validate(quantity, move["reason"], move.get("from_location_id"),
                  move.get("to_location_id"))
        if move.get("from_location_id") is not None:
            _add(deltas, move["product_id"], move["from_location_id"], -quantity, -held)
        if move.get("to_location_id") is not None:
            _add(deltas, move["product_id"], move["to_location_id"], quantity, 0)
        lines.append({column: move.get(column) for column in _LINE_COLUMNS})
    for product_id, location_id, quantity in releases:
        _add(deltas, product_id, location_id, 0, -quantity)
    _write_levels(deltas)
    if lines:
        db.session.execute(*_many(_lines_statement, lines, _LINE_COLUMNS))
    return len(lines)


_LINE_COLUMNS = ("product_id", "quantity", "reason", "from_location_id", "to_location_id",
                 "user_id", "device_id", "source", "created_at")


def _add(deltas, product_id, location_id, quantity, reserved):
    """Add a change to a level's net (quantity, reserved) change."""
    was = deltas.get((product_id, location_id), (0, 0))
    deltas[(product_id, location_id)] = (was[0] + quantity, was[1] + reserved)


def _write_levels(deltas):
    """Apply net level changes in (product, location) order, as lock_levels takes them:
    a level only gaining units is upserted (it may not exist yet), any other is updated."""
    gains, changes = [], []
    for (product_id, location_id), (quantity, reserved) in sorted(deltas.items()):
        row = {"p": product_id, "l": location_id, "q": quantity}
        if quantity >= 0 and reserved == 0:
            if quantity:
                gains.append(row)
        else:
            changes.append({**row, "r": reserved})
    if changes:
        result = db.session.execute(*_many(_change_statement, changes, "plqr"))
        if db.session.get_bind().dialect.supports_sane_multi_rowcount \
                and result.rowcount != len(changes):
            raise InsufficientStock("A stock level to take from is missing.")
    if gains:  # the packing area's levels: they may not exist yet
        db.session.execute(*_many(_gain_level, gains, "plq"))


def _many(statement_for, rows, names):
    """(statement, parameters) writing many rows: on PostgreSQL one statement over the
    rows unnested, its parameters one array per column; else (or for a few) an
    executemany."""
    dialect = db.session.get_bind().dialect.name
    if as_arrays(dialect, len(rows)):
        return statement_for(dialect, True), by_column(rows, names)
    return statement_for(dialect, False), rows


# Built once: a single scan's move runs these, and building them cost more than running.
_LEVEL = StockLevel.__table__
_LINES = StockMovement.__table__.insert()
_CHANGE_LEVEL = (update(_LEVEL).where(_LEVEL.c.product_id == bindparam("p"),
                                      _LEVEL.c.location_id == bindparam("l"))
                 .values(quantity=_LEVEL.c.quantity + bindparam("q"),
                         reserved=_LEVEL.c.reserved + bindparam("r")))


@cache
def _gain_level(dialect, arrays):
    """The upsert adding units to a level that may not exist yet, for a dialect (with
    `arrays`, PostgreSQL, its rows unnested)."""
    if arrays:
        gains = _unnested("gains", "plq")
        stmt = postgresql.insert(_LEVEL).from_select(
            ["product_id", "location_id", "quantity", "reserved"],
            select(gains.c.p, gains.c.l, gains.c.q, literal(0)).order_by(gains.c.n))
    else:
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert_(_LEVEL).values(product_id=bindparam("p"), location_id=bindparam("l"),
                                      quantity=bindparam("q"), reserved=0)
    return stmt.on_conflict_do_update(index_elements=["product_id", "location_id"],
                                      set_={"quantity": _LEVEL.c.quantity + stmt.excluded.quantity})


@cache
def _change_statement(_dialect, arrays):
    """_CHANGE_LEVEL; with `arrays` one UPDATE joined to the changes unnested (the
    caller holds the levels locked, so their order of update does not matter)."""
    if not arrays:
        return _CHANGE_LEVEL
    changes = _unnested("changes", "plqr")
    return (update(_LEVEL).where(_LEVEL.c.product_id == changes.c.p,
                                 _LEVEL.c.location_id == changes.c.l)
            .values(quantity=_LEVEL.c.quantity + changes.c.q,
                    reserved=_LEVEL.c.reserved + changes.c.r))


@cache
def _lines_statement(_dialect, arrays):
    """_LINES; with `arrays` an INSERT ... SELECT of the lines unnested, in order."""
    if not arrays:
        return _LINES
    table = StockMovement.__table__
    lines = unnested("lines", [table.c[name] for name in _LINE_COLUMNS])
    return insert(table).from_select(
        _LINE_COLUMNS, select(*(lines.c[name] for name in _LINE_COLUMNS)).order_by(lines.c.n))


def _unnested(name, letters):
    """unnested() over the level columns the one-letter parameters of _write_levels
    name (p product, l location, q quantity, r reserved)."""
    columns = {"p": _LEVEL.c.product_id, "l": _LEVEL.c.location_id, "q": _LEVEL.c.quantity,
               "r": _LEVEL.c.reserved}
    return unnested(name, [column(letter, columns[letter].type) for letter in letters])


def _validate(quantity, reason, from_location_id, to_location_id):
    """Refuse movements that make no sense before touching any row."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise StockError("Quantity must be a whole number above zero.")
    if reason not in REASONS:
        raise StockError(f"Unknown movement reason: {reason}")
    if from_location_id is None and to_location_id is None:
        raise StockError("A movement needs a source or a destination.")
    if from_location_id == to_location_id:
        raise StockError("Source and destination are the same location.")


def _take(product_id, location_id, quantity, consume_reserved=0):
    """Decrement a level in one conditional UPDATE: no read-modify-write to lose.

    The unreserved part of the level must cover what is taken beyond the
    caller's own reservation.
    """
    result = db.session.execute(
        update(StockLevel)
        .where(StockLevel.product_id == product_id, StockLevel.location_id == location_id,
               StockLevel.reserved >= consume_reserved,
               StockLevel.quantity - StockLevel.reserved >= quantity - consume_reserved)
        .values(quantity=StockLevel.quantity - quantity,
                reserved=StockLevel.reserved - consume_reserved)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise InsufficientStock(_shortfall(available_at(product_id, location_id) + consume_reserved,
                                           quantity))


def take_refusal(level, quantity, consume_reserved=0):
    """Why `quantity` cannot be taken from a level held in memory ((quantity, reserved),
    or None when there is no row), or None: _take's condition, for a caller that
    judges many moves before writing them (move_stock_many)."""
    on_shelf, reserved = level or (0, 0)
    if level is not None and reserved >= consume_reserved \
            and on_shelf - reserved >= quantity - consume_reserved:
        return None
    return _shortfall(on_shelf - reserved + consume_reserved, quantity)


def _shortfall(available, quantity):
    """The words of InsufficientStock."""
    return f"Only {available} available at this location; cannot take {quantity}."


def reserve(product_id, location_id, quantity):
    """Hold `quantity` of unreserved stock for an order; False when not available.

    One conditional UPDATE, so concurrent allocations can never together
    reserve more than the shelf holds.
    """
    result = db.session.execute(
        update(StockLevel)
        .where(StockLevel.product_id == product_id, StockLevel.location_id == location_id,
               StockLevel.quantity - StockLevel.reserved >= quantity)
        .values(reserved=StockLevel.reserved + quantity)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def release(product_id, location_id, quantity):
    """Give back a reservation that will not be picked."""
    result = db.session.execute(
        update(StockLevel)
        .where(StockLevel.product_id == product_id, StockLevel.location_id == location_id,
               StockLevel.reserved >= quantity)
        .values(reserved=StockLevel.reserved - quantity)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise StockError("Cannot release more than is reserved.")


def available_at(product_id, location_id):
    """Unreserved quantity of a product at a location."""
    value = db.session.scalar(select(StockLevel.quantity - StockLevel.reserved).where(
        StockLevel.product_id == product_id, StockLevel.location_id == location_id))
    return value or 0


def _put(product_id, location_id, quantity):
    """Increment a level, creating it if needed, in one atomic upsert."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(StockLevel).values(product_id=product_id, location_id=location_id,
                                     quantity=quantity)
    stmt = stmt.on_conflict_do_update(
        index_elements=["product_id", "location_id"],
        set_={"quantity": StockLevel.quantity + quantity})
    db.session.execute(stmt)


def on_hand(product_id, location_id):
    """Quantity of a product at a location, read from the database now."""
    value = db.session.scalar(select(StockLevel.quantity).where(
        StockLevel.product_id == product_id, StockLevel.location_id == location_id))
    return value or 0


def total_on_hand(product_id):
    """Quantity of a product across all locations."""
    return db.session.scalar(select(func.coalesce(func.sum(StockLevel.quantity), 0))
                             .where(StockLevel.product_id == product_id))


# Book quantity vs the sum of the ledger, per (product, location). Rows of
# either side with no partner still appear because both feed one UNION.
_MISMATCH_SQL = text("""
SELECT product_id, location_id, SUM(book) AS book, SUM(ledger) AS ledger FROM (
  SELECT product_id, location_id, quantity AS book, 0 AS ledger FROM stock_level
  UNION ALL
  SELECT product_id, to_location_id, 0, quantity FROM stock_movement
   WHERE to_location_id IS NOT NULL
  UNION ALL
  SELECT product_id, from_location_id, 0, -quantity FROM stock_movement
   WHERE from_location_id IS NOT NULL
) flows GROUP BY product_id, location_id HAVING SUM(book) <> SUM(ledger)
ORDER BY product_id, location_id
""")


def ledger_mismatches():
    """Every (product, location) whose stock level differs from its ledger sum."""
    return [dict(row._mapping) for row in db.session.execute(_MISMATCH_SQL)]
