"""Words for receiving's states and reasons, kept with the domain (both languages)."""
from flask_babel import lazy_gettext as _l

RECEIPT_STATE_LABELS = {"expected": _l("Expected"), "receiving": _l("Receiving"),
                        "received": _l("Received"), "put_away": _l("Put away"),
                        "cancelled": _l("Cancelled")}
FAIL_REASON_LABELS = {"damaged": _l("Damaged"), "wrong_item": _l("Wrong item"),
                      "expired": _l("Expired"), "missing_parts": _l("Missing parts"),
                      "other": _l("Other")}
SOURCE_LABELS = {"purchase": _l("Purchase"), "production": _l("Production"),
                 "transfer": _l("Transfer")}


def template_names():
    """The label functions every template may use."""
    return {
        "receipt_state_label": lambda state: RECEIPT_STATE_LABELS.get(state, state),
        "fail_reason_label": lambda reason: FAIL_REASON_LABELS.get(reason, reason),
        "receipt_source_label": lambda source: SOURCE_LABELS.get(source, source),
    }


def today_hint():
    """The receiver's home card: what is waiting today."""
    from flask_babel import gettext as _
    from .services import today_counts
    counts = today_counts()
    return _("%(expected)d expected today · %(receiving)d being received · "
             "%(putaway)d awaiting put-away", **counts)
