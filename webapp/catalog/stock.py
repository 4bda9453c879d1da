"""The only way stock changes: a ledger movement and both levels, in one transaction."""
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

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
        available = available_at(product_id, location_id) + consume_reserved
        raise InsufficientStock(
            f"Only {available} available at this location; cannot take {quantity}.")


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
