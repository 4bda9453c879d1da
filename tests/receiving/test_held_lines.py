"""A receipt held for a bad line: the receiver cannot receive it; the supervisor fixes
or drops the line on the receipt's page, and then the receiver receives and closes it."""
import pytest
from sqlalchemy import select

from receiving_support import SIGNED, ean, products
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.receiving import corrections, services
from webapp.receiving.intake import intake
from webapp.receiving.models import Receipt, ReceiptEvent


def held_receipt(*lines):
    """A receipt from raw lines [(sku, quantity)], stored held; (receipt, its lines)."""
    result = intake({"source": "purchase", "reference": "PO-HELD", "supplier": "ACME",
                     "dock": "RCV-01", "lines": [{"sku": s, "quantity": q} for s, q in lines]})
    assert result.outcome == "held"
    db.session.commit()
    receipt = db.session.get(Receipt, result.receipt_id)
    return receipt, list(receipt.lines)


def test_a_held_receipt_is_not_received_until_its_lines_are_fixed(warehouse, user_id):
    p1, p2 = products(2)
    receipt, (good, ghost, bad_qty) = held_receipt((p1.sku, 2), ("GHOST", 3), (p2.sku, "-1"))
    receiver, boss = user_id("receiver"), user_id("supervisor")
    with pytest.raises(services.ReceivingError, match="held"):
        services.scan(receipt.id, receiver, ean(p1))
    # A fix that is still wrong keeps the line (and the receipt) held, and says why.
    assert "unknown SKU 'GHOST-2'" in corrections.fix_line(ghost.id, boss, "GHOST-2", "3")
    assert corrections.fix_line(bad_qty.id, boss, p2.sku, "4") == ""
    assert receipt.held
    corrections.drop_line(ghost.id, boss)
    db.session.commit()
    receipt = db.session.get(Receipt, receipt.id)
    assert not receipt.held and [(ln.sku, ln.expected_qty, ln.problem) for ln in receipt.lines] == [
        (p1.sku, 2, None), (p2.sku, 4, None)]
    notes = [e.note for e in receipt.events]
    assert "Line 3 fixed: %s × 4." % p2.sku in notes and "Released for receiving." in notes
    assert any(n.startswith("Line 2 dropped (GHOST") for n in notes)
    assert all(e.user_id == boss for e in receipt.events[1:])
    # The next step: receiving it, the fixed line included, and closing it.
    assert services.scan(receipt.id, receiver, ean(p1), 2).ok
    outcome = services.scan(receipt.id, receiver, ean(p2), 4)
    assert outcome.ok and outcome.line_id == bad_qty.id
    run = services.close(receipt.id, receiver, "Li Lei", "ACME", **SIGNED)
    db.session.commit()
    assert db.session.get(Receipt, receipt.id).status == "received" and run.id
    assert ledger_mismatches() == []


def test_only_a_bad_line_of_an_open_receipt_is_corrected(warehouse, user_id, receipt):
    (p1,) = products(1)
    boss = user_id("supervisor")
    sound_id = receipt([(p1.sku, 1)], reference="PO-SOUND")
    sound_line = db.session.get(Receipt, sound_id).lines[0]
    with pytest.raises(services.ReceivingError, match="Only a line with a problem"):
        corrections.fix_line(sound_line.id, boss, p1.sku, "5")
    only, (ghost,) = held_receipt(("GHOST", 3))
    with pytest.raises(services.ReceivingError, match="cancel the receipt"):
        corrections.drop_line(ghost.id, boss)
    services.cancel(only.id, boss, "not coming")
    with pytest.raises(services.ReceivingError, match="cancelled"):
        corrections.fix_line(ghost.id, boss, p1.sku, "3")
    with pytest.raises(services.ReceivingError, match="Unknown line"):
        corrections.drop_line(999999, boss)


def test_the_supervisor_fixes_a_line_on_the_page_and_the_receiver_receives_it(
        sqlite_warehouse, sign_in):
    p1, p2 = products(2)
    receipt, (_good, ghost) = held_receipt((p1.sku, 2), ("GHOST", 3))
    receiver = sign_in(sqlite_warehouse.test_client(), "receiver")
    supervisor = sign_in(sqlite_warehouse.test_client(), "supervisor")
    refused = receiver.get(f"/receiving/{receipt.id}", follow_redirects=True)
    assert "is held" in refused.get_data(as_text=True)
    assert receiver.get(f"/api/v1/receipts/{receipt.id}/offline").status_code == 409
    assert receiver.post(f"/receipts/{receipt.id}/lines/{ghost.id}/fix",
                         data={"sku": p2.sku, "quantity": "3"}).status_code == 403
    page = supervisor.get(f"/receipts/{receipt.id}").get_data(as_text=True)
    assert f'data-line-id="{ghost.id}"' in page and "Fix line" in page
    wrong = supervisor.post(f"/receipts/{receipt.id}/lines/{ghost.id}/fix",
                            data={"sku": p2.sku, "quantity": "three"}, follow_redirects=True)
    assert "Line not fixed yet" in wrong.get_data(as_text=True)
    fixed = supervisor.post(f"/receipts/{receipt.id}/lines/{ghost.id}/fix",
                            data={"sku": p2.sku, "quantity": "3"}, follow_redirects=True)
    assert "can be received now" in fixed.get_data(as_text=True)
    assert supervisor.post(f"/receipts/{receipt.id}/lines/999999/drop").status_code == 404
    # The receiver's next step: the receiving screen, a scan on the fixed line.
    assert receiver.get(f"/receiving/{receipt.id}").status_code == 200
    lines = receiver.post(f"/receiving/{receipt.id}/scan", data={"code": ean(p2), "qty": "3"},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-feedback="ok"' in lines
    db.session.expire_all()
    line = db.session.get(type(ghost), ghost.id)
    assert (line.sku, line.received_qty, line.passed_qty) == (p2.sku, 3, 3)
    assert db.session.scalar(select(ReceiptEvent.user_id).where(
        ReceiptEvent.receipt_id == receipt.id, ReceiptEvent.note == "Released for receiving."))
