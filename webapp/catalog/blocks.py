"""Blocked stock: a product at a location that allocation leaves alone until counted.

A short pick says the shelf does not match the books (nothing there, damaged units,
not found). The book quantity is left as it is: the picker's word is not a count
(the units may sit in the next bin), and stock moves only through the ledger. The
block keeps those units from being reserved again; the count that follows (its own
flow) posts the variance through the ledger (reason "count") and clears the block
with clear_block(), who, when and why. Until then the units stay on the books and
"Find stock" shows the bin as blocked.
"""
from flask_babel import gettext as _
from sqlalchemy import and_, exists, select

from ..extensions import db
from ..timeutil import utcnow
from .models import LocationBlock


class BlockError(ValueError):
    """A block that cannot be cleared; the message is shown."""


def is_active():
    """The SQL condition of a block still in force."""
    return LocationBlock.cleared_at.is_(None)


def block_location(location_id, product_id, user_id, reason, source=None):
    """Hold a product at a location back from allocation; return the block in force.

    Blocking twice keeps the first block (its who/when/why is what the count answers).
    """
    current = active_block(location_id, product_id)
    if current is not None:
        return current
    block = LocationBlock(location_id=location_id, product_id=product_id, reason=reason,
                          source=source, created_by_id=user_id, created_at=utcnow())
    db.session.add(block)
    db.session.flush()
    return block


def active_block(location_id, product_id):
    """The block in force on a product at a location, or None."""
    return db.session.scalar(select(LocationBlock).where(
        LocationBlock.location_id == location_id, LocationBlock.product_id == product_id,
        is_active()).order_by(LocationBlock.id).limit(1))


def blocks_at(location_id):
    """Every block in force at a location, oldest first (what a count must settle)."""
    return db.session.scalars(select(LocationBlock).where(
        LocationBlock.location_id == location_id, is_active())
        .order_by(LocationBlock.id)).all()


def blocks_of_product(product_id):
    """Every block in force on a product, at any location."""
    return db.session.scalars(select(LocationBlock).where(
        LocationBlock.product_id == product_id, is_active())
        .order_by(LocationBlock.id)).all()


def clear_block(location_id, user_id, note, product_id=None):
    """Release the blocks at a location (one product's, or all) after a count; return
    how many were cleared. The count posts any variance through the ledger itself."""
    note = (note or "").strip()
    if not note:
        raise BlockError(_("Say why the block is cleared (for example: counted, 12 found)."))
    cleared = [b for b in blocks_at(location_id)
               if product_id is None or b.product_id == product_id]
    for block in cleared:
        block.cleared_at, block.cleared_by_id, block.cleared_note = utcnow(), user_id, note[:500]
    db.session.flush()
    return len(cleared)


def unblocked(location_column, product_column):
    """A WHERE condition: no block in force on this product at this location."""
    return ~exists().where(and_(LocationBlock.location_id == location_column,
                                LocationBlock.product_id == product_column, is_active()))
