"""Expected receipts in: CSV and API, held bad lines, idempotency, states with who/when."""
import pytest
from sqlalchemy import func, select

from receiving_support import SIGNED, products
from webapp.extensions import db
from webapp.receiving import intake, services
from webapp.receiving.models import Receipt, ReceiptEvent
from webapp.receiving.states import TransitionError


def csv_text(rows):
    """A receipts CSV with the standard header."""
    head = "source,reference,supplier,expected_date,dock,sku,quantity,lot,expiry\n"
    return head + "".join(",".join(row) + "\n" for row in rows)


def test_csv_groups_lines_and_holds_bad_lines_with_messages(warehouse):
    p1, p2 = products(2)
    data = csv_text([
        ("purchase", "PO-9", "ACME", "2026-11-28", "RCV-01", p1.sku, "5", "L1", "2027-01-31"),
        ("purchase", "PO-9", "ACME", "2026-11-28", "RCV-01", "NOPE", "2", "", ""),
        ("purchase", "PO-9", "ACME", "2026-11-28", "RCV-01", p2.sku, "-3", "", ""),
        ("production", "MO-1", "Plant", "", "", p2.sku, "7", "", "")])
    results = [intake.intake(p) for p in intake.receipts_from_csv(data.encode())]
    db.session.commit()
    assert [r.outcome for r in results] == ["held", "created"]
    held = db.session.get(Receipt, results[0].receipt_id)
    assert held.held and held.status == "expected" and len(held.lines) == 3
    assert held.lines[0].lot == "L1" and held.lines[0].expiry.isoformat() == "2027-01-31"
    assert "unknown SKU 'NOPE'" in held.lines[1].problem
    assert "quantity '-3'" in held.lines[2].problem
    assert results[0].problems == [f"line 2: {held.lines[1].problem}",
                                   f"line 3: {held.lines[2].problem}"]
    assert held.number == f"RCP{held.id:08d}" and held.dock.code == "RCV-01"


def test_intake_is_idempotent_on_source_and_reference(warehouse):
    (p1,) = products(1)
    payload = {"source": "purchase", "reference": "PO-7", "lines": [{"sku": p1.sku,
                                                                     "quantity": 3}]}
    first = intake.intake(payload)
    db.session.commit()
    again = intake.intake({**payload, "lines": [{"sku": p1.sku, "quantity": 99}]})
    other_source = intake.intake({**payload, "source": "transfer"})
    db.session.commit()
    assert (first.outcome, again.outcome, other_source.outcome) == ("created", "duplicate",
                                                                    "created")
    assert again.receipt_id == first.receipt_id
    assert db.session.get(Receipt, first.receipt_id).lines[0].expected_qty == 3
    assert db.session.scalar(select(func.count(Receipt.id))) == 2


@pytest.mark.parametrize("payload, problem", [
    ({"source": "gift", "reference": "X"}, "source must be one of"),
    ({"source": "purchase", "reference": ""}, "reference is required"),
])
def test_receipts_without_a_key_are_rejected(warehouse, payload, problem):
    result = intake.intake(payload)
    assert result.outcome == "rejected" and problem in result.problems[0]


def test_bad_header_values_hold_the_receipt(warehouse):
    (p1,) = products(1)
    result = intake.intake({"source": "purchase", "reference": "PO-2", "dock": "A-01-01-1",
                            "expected_date": "tomorrow", "lines": [
                                {"sku": p1.sku, "quantity": "10000000000000000000000"},
                                {"sku": p1.sku, "quantity": "²"}, "junk"]})
    db.session.commit()
    assert result.outcome == "held"
    text = " ".join(result.problems)
    assert "not a receiving dock" in text and "not a date" in text
    assert "line 1: quantity" in text and "line 2: quantity" in text and "line 3: no SKU" in text


def test_unreadable_csv_is_a_clear_error(warehouse):
    with pytest.raises(intake.IntakeError, match="not UTF-8"):
        intake.receipts_from_csv(b"\xff\xfe\x00garbage")
    with pytest.raises(intake.IntakeError, match="missing columns: sku, quantity"):
        intake.receipts_from_csv(b"source,reference\npurchase,PO\n")


def test_every_transition_is_recorded_with_who(warehouse, receipt, user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 2)])
    receiver, supervisor = user_id("receiver"), user_id("supervisor")
    services.scan(receipt_id, receiver, p1.sku, 1)
    db.session.commit()
    with pytest.raises(services.ReceivingError, match="already received"):
        services.cancel(receipt_id, supervisor)
    services.close(receipt_id, receiver, "Li Lei", "ACME Logistics", **SIGNED)
    db.session.commit()
    with pytest.raises(TransitionError):
        services.states.transition(db.session.get(Receipt, receipt_id), "expected", supervisor)
    events = db.session.scalars(select(ReceiptEvent).where(
        ReceiptEvent.receipt_id == receipt_id).order_by(ReceiptEvent.id)).all()
    assert [(e.from_status, e.to_status, e.user_id) for e in events] == [
        (None, "expected", None), ("expected", "receiving", receiver),
        ("receiving", "received", receiver)]
    assert all(e.at is not None for e in events)


def test_cancel_before_anything_is_received(warehouse, receipt, user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 2)])
    services.cancel(receipt_id, user_id("supervisor"), "supplier called off")
    db.session.commit()
    row = db.session.get(Receipt, receipt_id)
    assert row.status == "cancelled" and row.events[-1].note == "supplier called off"
    with pytest.raises(services.ReceivingError, match="cancelled"):
        services.scan(receipt_id, user_id("receiver"), p1.sku, 1)
