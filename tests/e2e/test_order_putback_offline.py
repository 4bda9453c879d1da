"""The put-back of a packed order cancelled before handoff, walked offline in a real
Chromium profile at 360x740: taken onto the handheld from the put-away screen (named by
the order's number), walked with no network in a scanner's burst that a reload cuts
off, then back online: every scan applied once, the units from the dock in the bins,
the ledger intact."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import (SCANNER_BURST, fresh_pick_list, live_db, outbox, sign_in,
                             track_errors, wait_for_worker, waiting)
from webapp.accounts.models import User
from webapp.catalog.models import Barcode, Location, StockMovement
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.orders.services import cancel_order
from webapp.packing import services as packing
from webapp.picking import services as picking
from webapp.picking.models import PickTask
from webapp.receiving import putaway
from webapp.receiving.models import PutawayTask
from webapp.sync.models import ScanRecord

SYNC_TIMEOUT = 90_000  # the outbox's backoff tops out at 60 s between tries
BOX = {"weight_g": "850", "length_mm": "300", "width_mm": "200", "height_mm": "100"}


@pytest.fixture
def server(live_server):
    """The live server, running again after the test whatever happened."""
    yield live_server
    live_server.start()


def _person(username):
    """The demo person's id."""
    return db.session.scalar(select(User.id).where(User.username == username))


def _barcode(product_id):
    """The product's first barcode."""
    return db.session.scalar(select(Barcode.code).where(Barcode.product_id == product_id)
                             .order_by(Barcode.id).limit(1))


def cancelled_after_packing(server, monkeypatch):
    """An order of two SKUs picked, verified, packed, then cancelled, its put-back
    planned: (order number, run id, [(bin, barcode)] in walking order)."""
    list_id = fresh_pick_list(server, monkeypatch, lines=((2, 1),), orders=1)
    with live_db(server):
        picker = _person("picker")
        pick_list = picking.start_list(list_id, picker)
        while (task := picking.current_task(pick_list)) is not None:
            for code in [task.location.code] + [_barcode(task.product_id)] * task.quantity:
                assert picking.scan(list_id, picker, code).ok
        order = db.session.get(Order, db.session.scalar(
            select(PickTask.order_id).where(PickTask.pick_list_id == list_id)))
        for line in order.lines:
            assert packing.verify_scan(order.id, _barcode(line.product_id), line.quantity).ok
        packing.pack(order.id, [BOX], _person("packer"))
        cancel_order(order.id, _person("supervisor"), "customer changed their mind")
        run = putaway.plan(putaway.run_for("order", order.id))
        db.session.commit()
        tasks = sorted(run.tasks, key=lambda t: (t.walk, t.sequence))
        return order.number, run.id, [(t.suggested.code, _barcode(t.product_id)) for t in tasks]


def test_an_order_put_back_walked_offline_lands_once(device, server, monkeypatch):
    number, run_id, walk = cancelled_after_packing(server, monkeypatch)
    assert len(walk) == 2
    page = track_errors(device.pages[0] if device.pages else device.new_page())
    sign_in(page, "receiver")
    page.goto(f"/putaway/{run_id}")
    wait_for_worker(page)
    page.locator("#take-offline").click()
    expect(page.locator("#offline-state")).to_contain_text(
        f"The put-away tasks of {number} are on this device")
    expect(page.locator("#putaway-task[data-offline='1']")).to_be_attached()

    # Offline, a scanner's burst over the whole walk on a busy handheld, and the page
    # reloads 50 ms after the last Enter: every scan kept in order and judged there.
    device.set_offline(True)
    codes = [code for task in walk for code in task]
    cdp = device.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 10})
    with page.expect_event("load", timeout=60_000):
        page.evaluate(SCANNER_BURST, [codes, 50])
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    expect(page.locator("#putaway-task[data-offline='1']")).to_be_attached()
    kept = outbox(page)
    assert [(e["code"], e["local"]) for e in kept] == [(code, "ok") for code in codes]
    expect(page.locator("#putaway-task [data-run-done]")).to_be_visible()
    expect(waiting(page)).to_have_text("4 waiting")
    assert page.evaluate("localStorage.length") == 0  # the journal let go of each
    uuids = [entry["id"] for entry in kept]

    device.set_offline(False)
    expect(waiting(page)).to_have_text(re.compile(r"^0 waiting"), timeout=SYNC_TIMEOUT)
    with live_db(server):
        statuses = db.session.scalars(select(ScanRecord.status).where(
            ScanRecord.scan_uuid.in_(uuids))).all()
        assert sorted(statuses) == ["applied"] * 4
        tasks = db.session.scalars(select(PutawayTask).where(PutawayTask.run_id == run_id)).all()
        assert all(t.status == "done" for t in tasks)
        moves = db.session.scalars(select(StockMovement).where(
            StockMovement.source.in_([f"putaway-task:{t.id}" for t in tasks]))).all()
        dock = db.session.scalar(select(Location.id).where(Location.type == "shipping")
                                 .order_by(Location.id))
        assert len(moves) == 2 and {m.from_location_id for m in moves} == {dock}
        assert ledger_mismatches() == []
    assert not page.js_errors
