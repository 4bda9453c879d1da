"""Counting offline in a real Chromium profile (service worker, IndexedDB) at 360x740:
the count taken along, the bin and its items counted with no network, a reload while
offline, then the scans sent once and applied by the server's rules, blind throughout."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import (live_db, outbox, scan, sign_in, track_errors, wait_for_worker,
                              waiting)
from webapp.catalog.models import Barcode, Location, StockLevel
from webapp.counts.models import CountTask
from webapp.counts.services import raise_count
from webapp.extensions import db
from webapp.sync.models import ScanRecord

SYNC_TIMEOUT = 90_000  # the outbox's backoff tops out at 60 s between tries


@pytest.fixture
def server(live_server):
    """The live server, running again after the test whatever happened."""
    yield live_server
    live_server.start()


def test_a_count_made_offline_survives_a_reload_and_applies_once(device, server):
    with live_db(server):
        bin_ = db.session.scalar(select(Location).join(StockLevel).where(
            Location.type == "storage", StockLevel.quantity > 0,
            Location.id.not_in(select(CountTask.location_id))).order_by(Location.id.desc()))
        held = {db.session.scalar(select(Barcode.code).where(Barcode.product_id == pid)
                                  .order_by(Barcode.id)): units
                for pid, units in db.session.execute(select(
                    StockLevel.product_id, StockLevel.quantity).where(
                    StockLevel.location_id == bin_.id, StockLevel.quantity > 0)).all()}
        code, task_id = bin_.code, raise_count(bin_.id, None, "e2e").id
        db.session.commit()
    page = track_errors(device.pages[0] if device.pages else device.new_page())
    sign_in(page, "receiver")
    page.goto(f"/counts/{task_id}")
    wait_for_worker(page)
    page.locator("#take-offline").click()
    expect(page.locator("#offline-state")).to_contain_text("is on this device")
    expect(page.locator("#count-task[data-offline='1']")).to_be_attached()

    device.set_offline(True)
    scan(page, code)
    expect(page.locator("#count-task")).to_have_attribute("data-status", "counting")
    (first, units), *rest = held.items()
    scan(page, first)  # one unit, then the rest typed after a reload
    expect(page.locator(f"#counted li[data-code='{first}'] b")).to_have_text("1")
    page.reload()  # no network: the worker serves the shell, IndexedDB the count
    expect(page.locator(f"#counted li[data-code='{first}'] b")).to_have_text("1")
    if units > 1:
        page.locator("#qty").fill(str(units - 1))
        scan(page, first)
        expect(page.locator(f"#counted li[data-code='{first}'] b")).to_have_text(str(units))
    for barcode, quantity in rest:
        page.locator("#qty").fill(str(quantity))
        scan(page, barcode)
    page.locator("[data-action='finish']").click()
    expect(page.locator("#count-task [data-count-done='1']")).to_be_visible()
    sent = len(outbox(page))
    expect(waiting(page)).to_have_text(f"{sent} waiting")
    with live_db(server):
        assert db.session.get(CountTask, task_id).status == "open"  # nothing sent yet

    device.set_offline(False)
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    with live_db(server):
        statuses = db.session.scalars(select(ScanRecord.status).where(
            ScanRecord.action == "count", ScanRecord.subject_id == task_id)).all()
        assert statuses == ["applied"] * sent
        task = db.session.get(CountTask, task_id)
        assert task.status == "closed", [(l.product_id, l.counted_qty, l.book_qty)
                                         for l in task.lines]
    assert outbox(page) == []
    assert not page.js_errors
