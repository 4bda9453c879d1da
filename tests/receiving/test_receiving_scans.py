"""Receiving scans and 检验: ledger movements, GS1 lot/expiry, over-receipt, unexpected
items, failures to the defective store with photos."""
import pytest
from sqlalchemy import select

from receiving_support import ean, products
from webapp.catalog.models import Location, StockMovement
from webapp.catalog.stock import ledger_mismatches, on_hand
from webapp.extensions import db
from webapp.receiving import inspection, services
from webapp.receiving.models import Inspection, Receipt

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def loc(code):
    """A location by code."""
    return db.session.scalar(select(Location).where(Location.code == code))


def movements(product_id):
    """Ledger lines of a product written by receiving."""
    return db.session.scalars(select(StockMovement).where(
        StockMovement.product_id == product_id,
        StockMovement.reason.in_(("receipt", "defective"))).order_by(StockMovement.id)).all()


def test_each_accepted_scan_is_one_ledger_movement_naming_its_line(warehouse, receipt,
                                                                   user_id):
    p1, p2 = products(2)
    receipt_id = receipt([(p1.sku, 3), (p2.sku, 10)])
    receiver = user_id("receiver")
    first = services.scan(receipt_id, receiver, ean(p1), 1)
    second = services.scan(receipt_id, receiver, ean(p1), 1)
    typed = services.scan(receipt_id, receiver, ean(p2), 6)
    db.session.commit()
    assert first.ok and second.ok and typed.ok
    row = db.session.get(Receipt, receipt_id)
    assert row.status == "receiving" and row.receiver_id == receiver
    line1, line2 = row.lines
    assert (line1.received_qty, line1.passed_qty, line2.received_qty) == (2, 2, 6)
    dock = loc("RCV-01")
    assert on_hand(p1.id, dock.id) == 2 and on_hand(p2.id, dock.id) == 6
    ledger = movements(p1.id)
    assert [(m.quantity, m.to_location_id, m.reason, m.source, m.user_id) for m in ledger] == [
        (1, dock.id, "receipt", f"receipt-line:{line1.id}", receiver)] * 2
    assert ledger_mismatches() == []


def test_a_gs1_code_fills_lot_and_expiry(warehouse, receipt, user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 5)])
    code = f"]C101{ean(p1).zfill(14)}17271231" + "10LOT-7"
    outcome = services.scan(receipt_id, user_id("receiver"), code, 1)
    db.session.commit()
    assert outcome.ok, outcome.message
    assert "LOT-7" in outcome.message and "2027-12-31" in outcome.message
    record = db.session.scalar(select(Inspection))
    assert (record.lot, record.expiry.isoformat(), record.outcome) == ("LOT-7", "2027-12-31",
                                                                      "pass")


@pytest.mark.parametrize("code, message", [
    ("", "empty"), ("4006381333932", "check digit"), ("]C10100000000000000", ""),
    ("A-01-01-1", "is a location"), ("NO-SUCH-CODE", "Unknown barcode")])
def test_bad_scans_are_refused_and_move_nothing(warehouse, receipt, user_id, code, message):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 5)])
    outcome = services.scan(receipt_id, user_id("receiver"), code, 1)
    db.session.commit()
    assert not outcome.ok and message in outcome.message
    assert db.session.scalars(select(StockMovement).where(
        StockMovement.reason == "receipt")).all() == []


def test_over_receipt_needs_a_reason_then_is_accepted(warehouse, receipt, user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 2)])
    receiver = user_id("receiver")
    services.scan(receipt_id, receiver, ean(p1), 2)
    over = services.scan(receipt_id, receiver, ean(p1), 1)
    db.session.commit()
    assert not over.ok and over.needs_reason == "over" and "2 of 2" in over.message
    assert db.session.get(Receipt, receipt_id).lines[0].received_qty == 2
    accepted = services.scan(receipt_id, receiver, over.code, over.qty,
                             accept_note="supplier sent a spare", line_id=over.line_id)
    db.session.commit()
    line = db.session.get(Receipt, receipt_id).lines[0]
    assert accepted.ok and line.received_qty == 3 and line.discrepancy == 1
    assert "supplier sent a spare" in line.accept_note


def test_unexpected_item_needs_a_reason_and_gets_its_own_line(warehouse, receipt, user_id):
    p1, p2 = products(2)
    receipt_id = receipt([(p1.sku, 2)])
    receiver = user_id("receiver")
    asked = services.scan(receipt_id, receiver, ean(p2), 1)
    assert not asked.ok and asked.needs_reason == "unexpected"
    assert len(db.session.get(Receipt, receipt_id).lines) == 1
    accepted = services.scan(receipt_id, receiver, ean(p2), 1, accept_note="on the truck")
    again = services.scan(receipt_id, receiver, ean(p2), 1)  # its line exists now
    db.session.commit()
    lines = db.session.get(Receipt, receipt_id).lines
    assert accepted.ok and again.ok and len(lines) == 2
    assert (lines[1].unexpected, lines[1].expected_qty, lines[1].received_qty) == (True, 0, 2)


def test_settings_can_refuse_unexpected_and_over(warehouse, receipt, user_id):
    p1, p2 = products(2)
    receipt_id = receipt([(p1.sku, 1)])
    receiver = user_id("receiver")
    warehouse.config.update(RECEIVING_REFUSE_UNEXPECTED=True, RECEIVING_REFUSE_OVER=True)
    try:
        unexpected = services.scan(receipt_id, receiver, ean(p2), 1, accept_note="please")
        services.scan(receipt_id, receiver, ean(p1), 1)
        over = services.scan(receipt_id, receiver, ean(p1), 1, accept_note="please")
    finally:
        warehouse.config.update(RECEIVING_REFUSE_UNEXPECTED=False, RECEIVING_REFUSE_OVER=False)
    db.session.commit()
    assert not unexpected.ok and "refused" in unexpected.message and not unexpected.needs_reason
    assert not over.ok and "refused" in over.message
    assert [line.received_qty for line in db.session.get(Receipt, receipt_id).lines] == [1]


def test_failed_units_go_to_the_defective_store_with_reason_and_photo(warehouse, receipt,
                                                                      user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 5)])
    line_id = db.session.get(Receipt, receipt_id).lines[0].id
    photo = inspection.check_photo(JPEG)
    outcome = services.scan(receipt_id, user_id("receiver"), p1.sku, 2, outcome="fail",
                            reason="damaged", note="crushed box", photos=[photo],
                            line_id=line_id)
    db.session.commit()
    assert outcome.ok and "残品库" in outcome.message
    defective = inspection.defective_store()
    assert defective.code == "DEF-01" and on_hand(p1.id, defective.id) == 2
    assert on_hand(p1.id, loc("RCV-01").id) == 0
    line = db.session.get(Receipt, receipt_id).lines[0]
    assert (line.received_qty, line.passed_qty, line.failed_qty) == (2, 0, 2)
    record = db.session.scalar(select(Inspection))
    assert (record.reason, record.note, record.location_id) == ("damaged", "crushed box",
                                                               defective.id)
    assert record.photos[0].data == JPEG and record.photos[0].content_type == "image/jpeg"
    (movement,) = movements(p1.id)
    assert movement.reason == "defective" and movement.source == f"receipt-line:{line_id}"


@pytest.mark.parametrize("options, message", [
    ({"reason": None}, "Choose why"), ({"reason": "bored"}, "Choose why"),
    ({"reason": "other"}, "reason: other")])
def test_a_failure_needs_a_reason_from_the_list(warehouse, receipt, user_id, options,
                                               message):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 5)])
    with pytest.raises(inspection.InspectionError, match=message):
        services.scan(receipt_id, user_id("receiver"), p1.sku, 1, outcome="fail", **options)


@pytest.mark.parametrize("data, message", [
    (b"", "empty"), (b"GIF89a" + b"\x00" * 10, "JPEG, PNG or WebP"),
    (b"<svg onload=alert(1)>", "JPEG, PNG or WebP"), (b"\xff\xd8\xff" + b"\x00" * 2_000_000,
                                                      "larger than")])
def test_photos_are_checked_for_size_and_type(warehouse, data, message):
    with pytest.raises(inspection.InspectionError, match=message):
        inspection.check_photo(data)


def test_png_and_webp_photos_are_accepted(warehouse):
    assert inspection.check_photo(b"\x89PNG\r\n\x1a\n....")[1] == "image/png"
    assert inspection.check_photo(b"RIFF\x00\x00\x00\x00WEBPVP8 ")[1] == "image/webp"


def test_quantities_out_of_range_are_refused(warehouse, receipt, user_id):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 5)])
    for quantity in (0, -1, 10**9, True):
        outcome = services.scan(receipt_id, user_id("receiver"), p1.sku, quantity)
        assert not outcome.ok and "Quantity" in outcome.message
