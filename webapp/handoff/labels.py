"""What handoff and tracking states are called on screen (English, zh-CN)."""
from flask_babel import lazy_gettext as _l

MANIFEST_STATE_LABELS = {"open": _l("Open"), "closed": _l("Closed, waiting for the courier"),
                         "signed": _l("Signed (交接单)")}
MEMBER_STATE_LABELS = {"expected": _l("Missing: not scanned yet"), "scanned": _l("Scanned"),
                       "moved": _l("Missing at handoff: moved on"),
                       "left": _l("Taken on another manifest"),
                       "withdrawn": _l("Order cancelled: keep back")}
EVENT_LABELS = {"handed_over": _l("Handed over"), "picked_up": _l("Picked up"),
                "in_transit": _l("In transit"), "out_for_delivery": _l("Out for delivery"),
                "delivered": _l("Delivered"), "address_wrong": _l("Failed: address wrong (地址错误)"),
                "refused": _l("Failed: refused by the recipient"), "lost": _l("Failed: lost"),
                "returned": _l("Returned to sender"), "stuck": _l("Stuck: no news from the carrier")}


def register(state):
    """Make the labels available to every template (the order page shows tracking too)."""
    state.app.jinja_env.globals.update(
        manifest_state_label=lambda s: MANIFEST_STATE_LABELS.get(s, s),
        member_state_label=lambda s: MEMBER_STATE_LABELS.get(s, s),
        tracking_label=lambda s: EVENT_LABELS.get(s, s),
        order_tracking=_order_tracking)


def _order_tracking(order_id):
    """The order's parcels and timelines (imported late: views import this module)."""
    from .aftersales import order_tracking
    return order_tracking(order_id)
