"""Offline packing verification (复核) in a real Chromium at phone size: the packer takes
the order along, the Wi-Fi drops, every unit is scanned and judged on the device, the
page is reloaded and reopened from the packing station with no network, and when the
network returns the server holds each scan exactly once and the packing form opens."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import (fresh_pick_list, live_db, outbox, scan, sign_in,
                              track_errors, wait_for_worker, wait_until_recorded, waiting,
                              walk_plan)
from webapp.accounts.models import User
from webapp.catalog.models import Barcode
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.packing.services import order_barcode
from webapp.picking import services as picking
from webapp.sync.models import ScanRecord

SYNC_TIMEOUT = 90_000  # the backoff tops out at 60 s between tries


def picked_order(server, monkeypatch):
    """A fresh order of two products, two units each, picked to the end on the server:
    (order id, its order barcode, [(sku, barcode, quantity)], a barcode of another product)."""
    list_id = fresh_pick_list(server, monkeypatch, orders=1, lines=((2, 2),))
    plan = walk_plan(server, list_id)
    with live_db(server):
        picker = _picker_id()
        picking.start_list(list_id, picker)
        db.session.commit()
        for _task, location, barcode, quantity in plan:
            for code in [location] + [barcode] * quantity:
                assert picking.scan(list_id, picker, code, 1).ok
                db.session.commit()
        order = db.session.scalar(select(Order).where(Order.status == "picked")
                                  .order_by(Order.id.desc()))
        lines = [(line.sku, _barcode(line.product_id), line.quantity) for line in order.lines]
        mine = [line.product_id for line in order.lines]
        other = db.session.scalar(select(Barcode.code).where(Barcode.product_id.not_in(mine))
                                  .order_by(Barcode.id))
        return order.id, order_barcode(order), lines, other


def _picker_id():
    return db.session.scalar(select(User.id).where(User.username == "picker"))


def _barcode(product_id):
    return db.session.scalar(select(Barcode.code).where(Barcode.product_id == product_id)
                             .order_by(Barcode.id))


def server_state(server, order_id):
    """The order's status and verified units, its verify scans, and the ledger check."""
    with live_db(server):
        order = db.session.get(Order, order_id)
        scans = db.session.execute(select(ScanRecord.scan_uuid, ScanRecord.status,
                                          ScanRecord.reason)
                                   .where(ScanRecord.order_id == order_id)
                                   .order_by(ScanRecord.seq)).all()
        return {"status": order.status,
                "verified": {line.sku: (line.verified_qty, line.quantity) for line in order.lines},
                "scans": [tuple(s) for s in scans], "mismatches": ledger_mismatches()}


def test_an_order_verified_offline_survives_a_reload_and_syncs_once(device, live_server,
                                                                     monkeypatch, screenshot):
    order_id, order_code, lines, other = picked_order(live_server, monkeypatch)
    (sku_a, code_a, qty_a), (sku_b, code_b, qty_b) = lines
    page = track_errors(device.pages[0] if device.pages else device.new_page())
    sign_in(page, "packer")
    page.goto(f"/packing/orders/{order_id}")
    wait_for_worker(page)
    page.locator("#take-offline").click()
    expect(page.locator("#offline-state")).to_contain_text("On this device")
    expect(page.locator("#verify[data-offline='1']")).to_be_attached()

    device.set_offline(True)
    expect(page.locator("#sync-status")).to_contain_text("Offline")
    verdict = page.locator("#verify [data-feedback]")
    scan(page, other)  # another product: refused loudly on the device, as online
    expect(verdict).to_have_attribute("data-feedback", "bad")
    expect(verdict).to_have_text("Wrong item: not in this order.")
    expect(page.locator("body")).to_have_class(re.compile(r"\bflash-bad\b"))
    scan(page, code_a)
    expect(verdict).to_have_text(f"{sku_a}: 1 of {qty_a}.")
    expect(verdict).to_have_attribute("data-feedback", "ok")
    expect(waiting(page)).to_have_text("2 waiting")
    screenshot(page, "offline-verify-waiting")

    page.reload()  # no network: the packing shell, the order and its queue from the device
    expect(page.locator(f"#verify tr[data-sku='{sku_a}'] td.num").nth(1)).to_have_text("1")
    expect(waiting(page)).to_have_text("2 waiting")
    page.goto("/packing")  # the station, offline: the orders on this device
    link = page.locator(f"#offline-orders a[href$='?order={order_id}']")
    expect(link).to_contain_text(f"1 of {qty_a + qty_b} items verified")
    screenshot(page, "offline-packing-station")
    scan(page, order_code)  # the order's barcode opens it, as online
    expect(page).to_have_url(re.compile(rf"\?order={order_id}$"))
    expect(page.locator("#verify[data-offline='1']")).to_be_attached()
    for code in [code_a] * (qty_a - 1) + [code_b] * qty_b:  # wedge speed, back to back
        scan(page, code)
    wait_until_recorded(page, 2 + qty_a - 1 + qty_b)
    expect(page.locator("[data-verify-complete]")).to_contain_text("waiting to be sent")
    scan(page, code_b)  # one too many
    expect(verdict).to_have_text("Too many: this item is already complete.")
    expect(waiting(page)).to_have_text(f"{2 + qty_a - 1 + qty_b + 1} waiting")
    uuids = [entry["id"] for entry in outbox(page)]
    assert server_state(live_server, order_id)["scans"] == []  # nothing sent yet

    device.set_offline(False)  # sent, applied, and the server's page with the packing form
    expect(page.locator("#pack-form")).to_be_visible(timeout=SYNC_TIMEOUT)
    expect(page).to_have_url(re.compile(rf"/packing/orders/{order_id}$"))
    expect(waiting(page)).to_have_text("0 waiting")
    state = server_state(live_server, order_id)
    assert sorted(s[0] for s in state["scans"]) == sorted(uuids)  # each scan once
    statuses = [s[1] for s in state["scans"]]
    assert statuses.count("applied") == qty_a + qty_b and statuses.count("rejected") == 2
    assert state["verified"] == {sku_a: (qty_a, qty_a), sku_b: (qty_b, qty_b)}
    assert state["status"] == "picked" and state["mismatches"] == []
    assert outbox(page) == []  # the two refusals were the device's too: nothing to check
    assert page.evaluate("Outbox.allCopies('verify')") == []  # handed back to the server
    screenshot(page, "offline-verify-synced")
    assert page.js_errors == []
