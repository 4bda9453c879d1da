"""The packing station's verification scan (复核) as a sync action."""
from ..extensions import db
from ..orders.models import Order
from ..sync.actions import Conflict, Rejected, register
from . import services as packing


def apply_verify(record):
    """A verification scan: conflicts when the order left 'picked' meanwhile."""
    order = db.session.get(Order, record.order_id)
    if order is None:
        raise Rejected("unknown order")
    if order.status != "picked":
        raise Conflict(f"order {order.number} is {order.status}")
    # A device's verify scan counts one unit unless it says more; its person is the checker.
    outcome = packing.verify_scan(order.id, record.code, record.quantity or 1,
                                  user_id=record.user_id)
    if not outcome.ok:
        raise Rejected(outcome.message)
    return outcome.message


register("verify", roles={"packer", "supervisor"}, needs=("order_id",), apply=apply_verify)
