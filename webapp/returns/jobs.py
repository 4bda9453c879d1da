"""RQ jobs of returns. They take ids, never objects, and are safe to run twice."""
from rq import Retry

from ..extensions import db
from ..queues import enqueue_for
from . import channels

RETRY_INTERVALS = [10, 60, 300]  # seconds: the backoff between tries


def notify_channel(notice_id):
    """Tell the sales channel about a refund or exchange; a failure is kept on the notice
    (shown on the return) and RQ tries again."""
    try:
        notice = channels.send(notice_id)
    except Exception:
        db.session.commit()  # the failure is visible while the next try waits
        raise
    db.session.commit()
    return {"notice": notice_id, "status": notice.status if notice else None}


def enqueue_notice(notice):
    """Queue the notification with retries and backoff (commits)."""
    enqueue_for(notice, "default", notify_channel, notice.id, job_timeout=60,
                retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS))
