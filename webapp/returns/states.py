"""The return state machine: which transitions exist, and recording each one."""
from flask_babel import gettext as _

from ..extensions import db
from ..timeutil import utcnow
from .models import ReturnEvent

TRANSITIONS = {
    "requested": {"awaiting_arrival", "received", "rejected"},
    "awaiting_arrival": {"received", "rejected"},
    "received": {"inspected"},
    "inspected": {"refunded", "exchanged", "rejected"},
    "refunded": {"closed"},
    "exchanged": {"closed"},
    "rejected": {"closed"},
    "closed": set(),
}
# Where the dock may still take units in: the parcel is expected or being opened.
RECEIVABLE = ("requested", "awaiting_arrival", "received")


class TransitionError(ValueError):
    """A state change the machine does not allow; the message is shown."""


def record_creation(rma, user_id=None, note=""):
    """The first event of the timeline: the return was logged."""
    db.session.add(ReturnEvent(return_id=rma.id, from_status=None, to_status=rma.status,
                               user_id=user_id, note=note[:2000]))


def transition(rma, to_status, user_id=None, note=""):
    """Move a return to `to_status`, recording who, when and why."""
    if to_status not in TRANSITIONS.get(rma.status, set()):
        raise TransitionError(_("Return %(number)s cannot go from %(from)s to %(to)s.",
                                number=rma.number, **{"from": rma.status, "to": to_status}))
    db.session.add(ReturnEvent(return_id=rma.id, from_status=rma.status, to_status=to_status,
                               user_id=user_id, note=(note or "")[:2000]))
    rma.status = to_status
    if to_status == "closed":
        rma.closed_at = utcnow()
    db.session.flush()
    return rma
