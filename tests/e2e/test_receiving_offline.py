"""Receiving offline in a real Chromium profile (service worker, IndexedDB) at 360x740:
the receipt taken along, units received and failed with no network, a reload while
offline, then the scans sent once and applied by the server's rules; a receipt closed
meanwhile turns later scans into conflicts."""
import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import (live_db, outbox, scan, sign_in, track_errors, wait_for_worker,
                              waiting)
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.receiving.intake import intake
from webapp.receiving.models import Inspection, Receipt
from webapp.sync.models import ScanRecord

SYNC_TIMEOUT = 90_000  # the outbox's backoff tops out at 60 s between tries


@pytest.fixture
def server(live_server):
    """The live server, running again after the test whatever happened."""
    yield live_server
    live_server.start()


def new_receipt(server, lines):
    """An expected receipt on the live server; its id."""
    with live_db(server):
        result = intake({"source": "purchase", "reference": f"PO-OFF-{uuid.uuid4().hex[:6]}",
                         "supplier": "Offline Co.", "dock": "RCV-04",
                         "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines]})
        db.session.commit()
        return result.receipt_id


def take_offline(device, receipt_id):
    """The receiver's phone with the receipt taken offline from its receiving screen."""
    page = track_errors(device.pages[0] if device.pages else device.new_page())
    sign_in(page, "receiver")
    page.goto(f"/receiving/{receipt_id}")
    wait_for_worker(page)
    page.locator("#take-offline").click()
    expect(page.locator("#offline-state")).to_contain_text("is on this device")
    return page


def line(page, sku):
    """A line card of the receiving screen."""
    return page.locator(f"#receipt-lines li[data-sku='{sku}']")


def test_receiving_offline_survives_a_reload_and_applies_once(device, server, demo_products,
                                                              screenshot):
    (ean_a, _n, sku_a), (ean_b, _m, sku_b) = demo_products[20], demo_products[21]
    receipt_id = new_receipt(server, [(sku_a, 3), (sku_b, 1)])
    page = take_offline(device, receipt_id)
    expect(page.locator("#receipt-lines[data-offline='1']")).to_be_attached()

    device.set_offline(True)
    for code in (ean_a, ean_a, f"(01){ean_b.zfill(14)}(17)280101(10)OFF1"):
        scan(page, code)
    expect(line(page, sku_a)).to_have_attribute("data-received", "2")
    expect(line(page, sku_b)).to_have_attribute("data-received", "1")
    scan(page, ean_b)  # one too many: asked for a reason, on the device
    expect(page.locator("#receipt-lines [data-feedback]")).to_have_attribute("data-feedback", "bad")
    expect(page.locator("body")).to_have_class(re.compile(r"\bflash-bad\b"))
    page.locator("#offline-accept-note").fill("extra unit")
    page.get_by_role("button", name="Accept with this reason").click()
    expect(line(page, sku_b)).to_have_attribute("data-received", "2")
    expect(waiting(page)).to_have_text("4 waiting")
    screenshot(page, "receiving-offline")

    page.reload()  # no network: the worker serves the page's shell, IndexedDB the receipt
    expect(line(page, sku_a)).to_have_attribute("data-received", "2")
    card = line(page, sku_a)
    card.locator("summary").click()
    card.locator("select[name=reason]").select_option("damaged")
    card.get_by_role("button", name="To the defective store").click()
    expect(line(page, sku_a)).to_have_attribute("data-received", "3")
    expect(waiting(page)).to_have_text("5 waiting")
    uuids = [entry["id"] for entry in outbox(page)]
    with live_db(server):
        assert db.session.scalar(select(ScanRecord.id).where(ScanRecord.subject_id == receipt_id,
                                                             ScanRecord.action == "receive")) is None

    device.set_offline(False)
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    with live_db(server):
        records = db.session.scalars(select(ScanRecord).where(
            ScanRecord.scan_uuid.in_(uuids))).all()
        assert sorted(r.status for r in records) == ["applied"] * 5
        receipt = db.session.get(Receipt, receipt_id)
        assert [(ln.received_qty, ln.passed_qty, ln.failed_qty) for ln in receipt.lines] == [
            (3, 2, 1), (2, 2, 0)]
        assert db.session.scalar(select(Inspection.lot).where(
            Inspection.source_id == receipt_id, Inspection.lot == "OFF1")) == "OFF1"
        assert ledger_mismatches() == []
    assert outbox(page) == []
    assert not page.js_errors


def test_a_scan_made_offline_for_a_receipt_closed_meanwhile_is_a_conflict(device, server,
                                                                          demo_products):
    (ean_a, _n, sku_a) = demo_products[22]
    receipt_id = new_receipt(server, [(sku_a, 5)])
    page = take_offline(device, receipt_id)
    device.set_offline(True)
    scan(page, ean_a)
    expect(waiting(page)).to_have_text("1 waiting")
    with live_db(server):  # meanwhile the supervisor cancels it
        from webapp.receiving import services
        services.cancel(receipt_id, None, "supplier called off")
        db.session.commit()
    device.set_offline(False)
    expect(page.locator("#outbox-problems")).to_contain_text("cancelled", timeout=SYNC_TIMEOUT)
    with live_db(server):
        record = db.session.scalar(select(ScanRecord).where(ScanRecord.subject_id == receipt_id))
        assert record.status == "conflict" and "cancelled" in record.reason


def test_a_receipt_closed_offline_with_both_signatures_closes_when_the_network_returns(
        device, server, demo_products, run_worker):
    from test_receiving import draw_signature
    from webapp.receiving.models import PutawayRun
    from webapp.signatures.models import Signature
    (ean_a, _n, sku_a) = demo_products[23]
    receipt_id = new_receipt(server, [(sku_a, 2)])
    page = take_offline(device, receipt_id)
    expect(page.locator("#offline-close")).to_be_hidden()  # online: the server's close page

    device.set_offline(True)
    page.reload()  # the shell, from the worker's cache
    scan(page, ean_a)
    scan(page, ean_a)
    expect(line(page, sku_a)).to_have_attribute("data-received", "2")
    expect(page.locator("#offline-close")).to_be_visible()
    draw_signature(page, "receiver")
    page.locator("#offline-close-form input[name=delivered_by]").fill("Wang Fang")
    page.locator("#offline-close-form input[name=company]").fill("Offline Co.")
    draw_signature(page, "deliverer")
    page.get_by_role("button", name="Close on this device").click()
    expect(page.locator("#receipt-lines .scan-ok")).to_contain_text("Closed on this device")
    expect(page.locator("#offline-close")).to_be_hidden()
    expect(waiting(page)).to_have_text("3 waiting")
    scan(page, ean_a)  # the copy is closed: refused on the device, as online
    expect(page.locator("#receipt-lines .scan-bad")).to_contain_text("received")

    device.set_offline(False)
    expect(waiting(page)).to_have_text(re.compile(r"^0 waiting"), timeout=SYNC_TIMEOUT)
    with live_db(server):
        receipt = db.session.get(Receipt, receipt_id)
        assert receipt.status == "received" and receipt.delivered_by == "Wang Fang"
        assert db.session.scalar(select(ScanRecord.status).where(
            ScanRecord.subject_id == receipt_id, ScanRecord.action == "receive_close")) == "applied"
        assert len(db.session.scalars(select(Signature).where(
            Signature.subject_type == "receipt", Signature.subject_id == receipt_id)).all()) == 2
        run_id = db.session.scalar(select(PutawayRun.id).where(PutawayRun.source_id == receipt_id))
        assert ledger_mismatches() == []
    # The next step: the put-away, planned once the receiver opens it.
    page.goto(f"/putaway/{run_id}")
    run_worker(server.db_url, "default")
    expect(page.locator("#putaway-task .task")).to_be_visible(timeout=20_000)
    assert not page.js_errors
