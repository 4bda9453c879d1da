"""Words for returns' states, reasons and outcomes (both languages), and the home hints."""
from flask_babel import lazy_gettext as _l

STATE_LABELS = {"requested": _l("Requested"), "awaiting_arrival": _l("Awaiting arrival"),
                "received": _l("Received"), "inspected": _l("Inspected"),
                "refunded": _l("Refunded"), "exchanged": _l("Exchanged"),
                "rejected": _l("Rejected"), "closed": _l("Closed")}
REASON_LABELS = {"damaged_in_transit": _l("Damaged in transit"),
                 "wrong_item": _l("Wrong item sent"),
                 "not_as_described": _l("Not as described"), "defective": _l("Defective"),
                 "changed_mind": _l("Changed mind"), "other": _l("Other")}
RESOLUTION_LABELS = {"refund": _l("Refund"), "exchange": _l("Exchange")}


def template_names():
    """The label functions every template may use."""
    return {
        "return_state_label": lambda state: STATE_LABELS.get(state, state),
        "return_reason_label": lambda reason: REASON_LABELS.get(reason, reason),
        "return_resolution_label": lambda value: RESOLUTION_LABELS.get(value, value),
    }


def service_hint():
    """Customer service's card: their returns still open, and those to decide now."""
    from flask_babel import gettext as _
    from .services import open_counts
    counts = open_counts()
    return _("%(open)d open · %(decide)d inspected, to refund or exchange", **counts)


def dock_hint():
    """The receiver's card: returned parcels expected and being received."""
    from flask_babel import gettext as _
    from .services import open_counts
    counts = open_counts()
    return _("%(expected)d expected · %(receiving)d being received", **counts)
