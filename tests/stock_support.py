"""Stock helpers for tests in several folders (a plain module: tests/ is on the path)."""
from sqlalchemy import select

from webapp.catalog.models import StockLevel
from webapp.catalog.stock import move_stock, release
from webapp.extensions import db
from webapp.picking.models import Reservation


def write_off(task):
    """The books lose a pick task's bin behind the picker's back: the task's reservation
    is let go and every free unit there written off (reason adjustment, source count),
    units the picker already counted into the cart included."""
    reservation = task.reservation_id and db.session.get(Reservation, task.reservation_id)
    if reservation and reservation.active:
        release(task.product_id, task.location_id, reservation.quantity)
        reservation.active = False
    level = db.session.scalar(select(StockLevel).where(
        StockLevel.product_id == task.product_id, StockLevel.location_id == task.location_id))
    db.session.refresh(level)
    if level.quantity > level.reserved:
        move_stock(task.product_id, level.quantity - level.reserved, reason="adjustment",
                   from_location_id=task.location_id, source="count")
