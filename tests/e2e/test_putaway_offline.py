"""Put-away (上架) offline in a real Chromium profile at 360x740: the run taken onto the
handheld, tasks walked with no network (the suggested bin, then another bin as an
override), a reload while offline, then back online: every scan applied once, the
stock in the bins the receiver scanned, the ledger intact, and a task someone else did
meanwhile kept as a conflict."""
import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import live_db, outbox, scan, sign_in, track_errors, wait_for_worker, waiting
from webapp.catalog.models import Barcode, Location
from webapp.catalog.stock import ledger_mismatches, on_hand
from webapp.extensions import db
from webapp.receiving import putaway, services, walk
from webapp.receiving.intake import intake
from webapp.receiving.models import PutawayTask, Receipt
from webapp.sync.models import ScanRecord

SYNC_TIMEOUT = 90_000  # the outbox's backoff tops out at 60 s between tries
SIGNED = {"receiver_svg": '<svg xmlns="http://www.w3.org/2000/svg"><path d="M1 1L9 9"/></svg>',
          "deliverer_svg": '<svg xmlns="http://www.w3.org/2000/svg"><path d="M2 2L8 8"/></svg>'}


@pytest.fixture
def server(live_server):
    """The live server, running again after the test whatever happened."""
    yield live_server
    live_server.start()


def planned_run(server, skus):
    """A receipt of one unit per SKU, received, closed and planned: (run id, tasks) with
    tasks [(task id, suggested bin, product's barcode, product id, units)] in walking order."""
    with live_db(server):
        result = intake({"source": "purchase", "reference": f"PO-PA-{uuid.uuid4().hex[:6]}",
                         "supplier": "Putaway Co.", "dock": "RCV-04",
                         "lines": [{"sku": sku, "quantity": 2} for sku in skus]})
        receiver = db.session.scalar(select(db.metadata.tables["user"].c.id).where(
            db.metadata.tables["user"].c.username == "receiver"))
        for sku in skus:
            services.scan(result.receipt_id, receiver, sku, 2)
        run = services.close(result.receipt_id, receiver, "Li Lei", "ACME", **SIGNED)
        putaway.plan(run)
        db.session.commit()
        tasks = sorted(run.tasks, key=lambda t: (t.walk, t.sequence))
        return run.id, [(t.id, t.suggested.code, _barcode(t.product_id), t.product_id, t.quantity)
                        for t in tasks]


def _barcode(product_id):
    """The product's first barcode."""
    return db.session.scalar(select(Barcode.code).where(Barcode.product_id == product_id)
                             .order_by(Barcode.id).limit(1))


def task_card(page):
    """The task on screen."""
    return page.locator("#putaway-task .task")


def test_putaway_walked_offline_with_a_reload_lands_once(device, server, demo_products,
                                                         screenshot):
    skus = [demo_products[i][2] for i in (30, 31, 32)]
    run_id, tasks = planned_run(server, skus)
    assert len(tasks) == 3
    (t1, bin1, ean1, p1, q1), (t2, bin2, ean2, p2, q2), (t3, bin3, ean3, _p3, _q3) = tasks
    with live_db(server):
        override = db.session.scalar(select(Location.code).where(
            Location.type == "storage", Location.active.is_(True),
            Location.code.not_in([bin1, bin2, bin3])).order_by(Location.code.desc()).limit(1))
    page = track_errors(device.pages[0] if device.pages else device.new_page())
    sign_in(page, "receiver")
    page.goto(f"/putaway/{run_id}")
    wait_for_worker(page)
    page.locator("#take-offline").click()
    expect(page.locator("#offline-state")).to_contain_text("are on this device")
    expect(page.locator("#putaway-task[data-offline='1']")).to_be_attached()

    device.set_offline(True)
    expect(task_card(page)).to_have_attribute("data-task-id", str(t1))
    scan(page, ean1)  # the item before its bin: refused on the device
    expect(page.locator("#putaway-task [data-feedback]")).to_have_attribute("data-feedback", "bad")
    expect(page.locator("#putaway-task .scan-bad")).to_contain_text(f"Scan the bin {bin1} first")
    scan(page, bin1)
    expect(page.locator("#putaway-task .loc.confirmed")).to_have_text(bin1)
    scan(page, ean1)
    expect(task_card(page)).to_have_attribute("data-task-id", str(t2))
    expect(waiting(page)).to_have_text("3 waiting")

    page.reload()  # no network: the worker serves the shell, IndexedDB the run
    expect(page.locator("#putaway-task[data-offline='1']")).to_be_attached()
    expect(task_card(page)).to_have_attribute("data-task-id", str(t2))
    scan(page, override)  # another bin than suggested: an override
    expect(page.locator("#putaway-task .notice")).to_contain_text(f"suggested {bin2}")
    scan(page, ean2)
    expect(task_card(page)).to_have_attribute("data-task-id", str(t3))
    screenshot(page, "putaway-offline")

    with live_db(server):  # meanwhile another receiver puts the third task away online
        receiver = db.session.scalar(select(db.metadata.tables["user"].c.id).where(
            db.metadata.tables["user"].c.username == "supervisor"))
        walk.scan(run_id, receiver, bin3, task_id=t3)
        walk.scan(run_id, receiver, ean3, task_id=t3)
        db.session.commit()
    scan(page, bin3)
    scan(page, ean3)
    expect(page.locator("#putaway-task [data-run-done]")).to_be_visible()
    expect(waiting(page)).to_have_text("7 waiting")
    uuids = [entry["id"] for entry in outbox(page)]

    device.set_offline(False)
    expect(page.locator("#outbox-problems")).to_contain_text("already done", timeout=SYNC_TIMEOUT)
    expect(waiting(page)).to_have_text(re.compile(r"^0 waiting"), timeout=SYNC_TIMEOUT)
    with live_db(server):
        records = db.session.scalars(select(ScanRecord).where(
            ScanRecord.scan_uuid.in_(uuids)).order_by(ScanRecord.seq)).all()
        assert [r.status for r in records] == ["rejected", "applied", "applied", "applied",
                                               "applied", "conflict", "conflict"]
        done = {t.id: t for t in db.session.scalars(select(PutawayTask).where(
            PutawayTask.run_id == run_id))}
        assert all(t.status == "done" for t in done.values())
        assert (done[t1].override, done[t2].override) == (False, True)
        override_id = db.session.scalar(select(Location.id).where(Location.code == override))
        assert done[t2].location_id == override_id
        bin1_id = db.session.scalar(select(Location.id).where(Location.code == bin1))
        assert on_hand(p1, bin1_id) >= q1 and on_hand(p2, override_id) >= q2
        receipt = db.session.scalar(select(Receipt).where(
            Receipt.id == db.session.scalar(select(putaway.PutawayRun.source_id).where(
                putaway.PutawayRun.id == run_id))))
        assert receipt.status == "put_away"
        assert ledger_mismatches() == []
    assert not page.js_errors
