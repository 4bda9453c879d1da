"""Two receivers on one receipt at the same instant (PostgreSQL): each scan counts once,
in the ledger and on its line, and a second close is told the receipt is closed.

A big delivery is unloaded with two handhelds, or a synced backlog lands while the
screen scans. Both requests read the receipt's lines before either commits; each then
moved its unit into the receiving area and wrote the line's count from the figure it
had read, so one unit was on the books but not on the line (put-away never planned
it), and the line's last unit was taken twice without the reason an over-receipt
asks for. Scans, the close and the cancel now meet on the receipt's row lock.
"""
from sqlalchemy import select

from racing import race
from receiving_support import SIGNED, ean, products
from webapp.catalog.models import Location
from webapp.catalog.stock import ledger_mismatches, on_hand
from webapp.extensions import db
from webapp.receiving import services
from webapp.receiving.models import PutawayRun, Receipt


def _dock():
    return db.session.scalar(select(Location.id).where(Location.code == "RCV-01"))


def test_two_receivers_taking_a_lines_last_unit(pg_warehouse, receipt, user_id):
    (product,) = products(1)
    receipt_id = receipt([(product.sku, 10)])
    receiver, code, product_id = user_id("receiver"), ean(product), product.id
    assert services.scan(receipt_id, receiver, code, 9).ok
    db.session.commit()

    def last_unit():
        return services.scan(receipt_id, receiver, code, 1)

    first, second, waited = race(pg_warehouse, last_unit, last_unit)
    assert waited, "the second scan never waited on the first (the race was not set up)"
    assert first.ok and first.line_id
    # The second meets the line complete: asked why before an over-receipt is taken.
    assert not second.ok and second.needs_reason == "over"  # before: accepted
    line, = db.session.get(Receipt, receipt_id).lines
    assert (line.received_qty, line.passed_qty) == (10, 10)
    assert on_hand(product_id, _dock()) == 10  # before: 11 on the books, 10 on the line
    assert ledger_mismatches() == []


def test_two_scans_of_one_line_both_count(pg_warehouse, receipt, user_id):
    (product,) = products(1)
    receipt_id = receipt([(product.sku, 10)])
    receiver, code, product_id = user_id("receiver"), ean(product), product.id

    def one_unit():
        return services.scan(receipt_id, receiver, code, 1)

    first, second, waited = race(pg_warehouse, one_unit, one_unit)
    assert waited and first.ok and second.ok
    line, = db.session.get(Receipt, receipt_id).lines
    assert line.received_qty == 2  # before: 1, the second write repeated the first
    assert on_hand(product_id, _dock()) == 2
    receipt_row = db.session.get(Receipt, receipt_id)
    assert receipt_row.status == "receiving"
    assert [e.to_status for e in receipt_row.events] == ["expected", "receiving"]


def test_a_receipt_closed_twice_at_once(pg_warehouse, receipt, user_id):
    """Two receivers sign the close (or the handheld's offline close syncs while the
    screen closes): one closes; the other is told the receipt is closed (before: the
    second put-away run broke its unique key, a 500)."""
    (product,) = products(1)
    receipt_id = receipt([(product.sku, 4)])
    receiver = user_id("receiver")
    assert services.scan(receipt_id, receiver, ean(product), 4).ok
    db.session.commit()

    def close():
        return services.close(receipt_id, receiver, "Li Lei", "ACME", **SIGNED)

    first, second, waited = race(pg_warehouse, close, close)
    assert waited
    assert isinstance(first, PutawayRun)
    assert isinstance(second, services.ReceivingError), second
    assert "received" in str(second)
    assert db.session.get(Receipt, receipt_id).status == "received"
    assert len(db.session.scalars(select(PutawayRun)).all()) == 1
