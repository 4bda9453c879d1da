"""Telling the sales channel about a refund or an exchange: adapters, and the notice.

No sales channel's API has a client here yet: every channel uses the built-in
adapter, which records the notification locally (the notice row, with a local
reference) so the flow, its retries and its failures are the real ones.
"""
from flask_babel import gettext as _

from ..extensions import db
from ..timeutil import utcnow
from .models import ChannelNotice, ReturnRequest


class BuiltinChannel:
    """Records the notification here; answers a reference as a channel would."""

    def notify(self, notice, rma):
        """Return the channel's reference for this notification."""
        return f"LOCAL-{rma.number}-{notice.kind}"


_ADAPTERS = {}


def register(channel, adapter):
    """Use `adapter` (an object with notify(notice, rma)) for a sales channel."""
    _ADAPTERS[channel] = adapter


def adapter_for(channel):
    """The channel's adapter; the built-in one for channels without their own."""
    return _ADAPTERS.get(channel, BuiltinChannel())


def notice_for(rma, kind):
    """The notice of a decision, made once (a second decision click reuses it)."""
    notice = next((n for n in rma.notices if n.kind == kind), None)
    if notice is None:
        notice = ChannelNotice(return_id=rma.id, kind=kind, channel=rma.order.channel)
        rma.notices.append(notice)
        db.session.flush()
    return notice


def send(notice_id):
    """Notify the channel once: a sent notice is left as it is (safe to run twice)."""
    notice = db.session.get(ChannelNotice, notice_id)
    if notice is None or notice.status == "sent":
        return notice
    rma = db.session.get(ReturnRequest, notice.return_id)
    notice.attempts += 1
    try:
        notice.channel_reference = str(adapter_for(notice.channel).notify(notice, rma))[:64]
    except Exception as error:  # noqa: BLE001 - any adapter failure is shown, then retried
        notice.status, notice.error = "failed", f"{type(error).__name__}: {error}"[:2000]
        raise
    notice.status, notice.error, notice.sent_at = "sent", None, utcnow()
    return notice


def describe(notice):
    """What customer service reads about a notice."""
    if notice.status == "sent":
        return _("Channel %(channel)s notified (%(ref)s).", channel=notice.channel,
                 ref=notice.channel_reference)
    if notice.status == "failed":
        return _("Notifying channel %(channel)s failed (%(n)d tries): %(error)s",
                 channel=notice.channel, n=notice.attempts, error=notice.error or "")
    return _("Notifying channel %(channel)s…", channel=notice.channel)
