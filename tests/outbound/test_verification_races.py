"""A restart of the 复核 count racing the pack of the same order (PostgreSQL): the
packed order keeps its counts.

The packer taps Pack on one screen while Restart is tapped on another (or a tab left
open). Pack locks the order; the restart read it 'picked' without a lock, zeroed every
line's verified count and cleared the checker after the pack committed: a packed,
booked order whose 出库单 showed nothing verified and no checker (复核人). The restart
now takes the order's row lock and judges its state under it.
"""
from sqlalchemy import select

from handoff_support import BOX, pick_and_verify
from racing import race
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.packing import services as packing
from webapp.packing.models import Shipment


def test_a_restart_racing_the_pack_leaves_the_counts(pg_warehouse, make_planned, user_id):
    (order_id,) = pick_and_verify(make_planned, user_id, 1)
    packer = user_id("packer")

    def pack():
        return packing.pack(order_id, [BOX], packer)

    def restart():
        return packing.restart_verification(order_id)

    first, second, waited = race(pg_warehouse, pack, restart)
    assert isinstance(first, Shipment), first
    assert isinstance(second, packing.PackingError), second  # before: counts zeroed
    order = db.session.get(Order, order_id)
    assert order.status == "packed"
    assert all(line.verified_qty == line.quantity for line in order.lines)
    assert order.verified_by_id is not None
    assert db.session.scalar(select(Shipment.order_id)) == order_id
    assert waited
