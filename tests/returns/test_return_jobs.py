"""Telling the sales channel: an RQ job through a real worker on Redis, safe to run
twice, a failure kept on the notice and shown, then retried."""
import pytest
from sqlalchemy import func, select

from returns_support import code_of, order_in, stocked
from webapp.extensions import db
from webapp.returns import channels, dock, services
from webapp.returns.jobs import notify_channel
from webapp.returns.models import ChannelNotice


@pytest.fixture
def inspected(sqlite_warehouse, user_id):
    """A refund return, received and inspected."""
    (p1,) = stocked(1)
    order = order_in([(p1.sku, 1)], user_id=user_id)
    rma = services.open_return(order.id, user_id("customer_service"), {order.lines[0].id: 1},
                               reason="defective", resolution="refund")
    assert dock.scan(rma.id, user_id("receiver"), code_of(p1.id)).ok
    dock.finish(rma.id, user_id("receiver"))
    db.session.commit()
    return rma


def test_the_refund_notice_is_sent_by_a_real_worker_once(inspected, sign_in, app, sqlite_url,
                                                         run_worker):
    client = sign_in(app.test_client(), "customer_service")
    client.post(f"/returns/{inspected.id}/refund", data={"amount": "59.90",
                                                          "reference": "WX-1"})
    notice = db.session.scalar(select(ChannelNotice))
    assert notice.status == "queued" and notice.job_id and notice.kind == "refund"
    db.session.commit()  # SQLite: end the read, the worker writes
    result = run_worker(sqlite_url, "default")
    db.session.expire_all()
    notice = db.session.scalar(select(ChannelNotice))
    assert notice.status == "sent" and notice.attempts == 1, result.stderr[-2000:]
    assert notice.channel_reference == f"LOCAL-{inspected.number}-refund"
    notify_channel(notice.id)  # a second run changes nothing
    db.session.expire_all()
    assert db.session.get(ChannelNotice, notice.id).attempts == 1
    assert db.session.scalar(select(func.count(ChannelNotice.id))) == 1
    page = client.get(f"/returns/{inspected.id}").data
    assert b'data-notice="sent"' in page


class Down:
    """A channel whose API is down."""

    def notify(self, notice, rma):
        """Fail as a refused connection does."""
        raise ConnectionRefusedError("channel API unreachable")


def test_a_failed_notice_is_shown_and_can_be_retried(inspected, sign_in, app, sqlite_url,
                                                     run_worker):
    client = sign_in(app.test_client(), "customer_service")
    client.post(f"/returns/{inspected.id}/refund", data={"amount": "10", "reference": "R"})
    notice = db.session.scalar(select(ChannelNotice))
    channels.register(notice.channel, Down())
    try:
        with pytest.raises(ConnectionRefusedError):
            notify_channel(notice.id)
    finally:
        channels._ADAPTERS.pop(notice.channel)
    db.session.expire_all()
    notice = db.session.get(ChannelNotice, notice.id)
    assert notice.status == "failed" and "unreachable" in notice.error
    page = client.get(f"/returns/{inspected.id}").data
    assert b'data-notice="failed"' in page and b"unreachable" in page
    client.post(f"/returns/{inspected.id}/notices/{notice.id}/retry")
    db.session.commit()  # SQLite: end the read, the worker writes
    run_worker(sqlite_url, "default")
    db.session.expire_all()
    notice = db.session.get(ChannelNotice, notice.id)
    assert notice.status == "sent" and notice.attempts == 2 and notice.error is None
