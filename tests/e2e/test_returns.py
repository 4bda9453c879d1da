"""Returns (退换货) in a real Chromium at 360x740, each step by the person who does it:
customer service finds a shipped order by the customer's phone, logs a return of two
units with a photo (downscaled on the phone) as an exchange and prints its label; the
receiver scans the parcel's tracking number at the dock, passes one unit and fails one
into 残品库, and puts the passed one away after a real worker planned it; customer
service sends the replacement (a real order) and sees each step on the timeline.
Stock equals the ledger afterwards."""
import uuid

from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import (live_db, outbox, scan, sign_in, track_errors, wait_for_worker,
                              waiting)
from test_outbound import decoded_codes, typed_scan
from test_receiving import png
from webapp.catalog.models import Location, StockLevel
from webapp.catalog.stock import ledger_mismatches, on_hand
from webapp.extensions import db
from webapp.orders.intake import MAX_PRIORITY
from webapp.orders.models import Order
from webapp.packing.models import Parcel, Shipment
from webapp.picking import allocation, waves
from webapp.receiving.models import Inspection, PutawayTask
from webapp.returns import resolution, services
from webapp.returns.demo import ship_order
from webapp.returns.models import ReturnRequest
from webapp.sync.models import ScanRecord

SYNC_TIMEOUT = 90_000  # the outbox's backoff tops out at 60 s between tries


def shipped_order(live_server, monkeypatch, phone_number):
    """An order of 2 units of one product taken to handed over in-process: its id, the
    product (code, sku, id) and the parcel's tracking number. Only this order is
    allocated: the demo's others stay as they were."""
    def allocate_only_ours(**_kw):
        ours = db.session.scalars(select(Order.id).where(
            Order.status == "new", Order.priority == MAX_PRIORITY)).all()
        return {"allocated": sum(allocation.allocate_order(i) == "allocated" for i in ours),
                "short": 0}
    monkeypatch.setattr(waves, "allocate_pending", allocate_only_ours)
    with live_db(live_server) as session:
        level = session.scalar(select(StockLevel).join(Location).where(
            Location.type == "storage", StockLevel.quantity - StockLevel.reserved >= 5)
            .order_by(StockLevel.id.desc()).limit(1))
        product = level.product
        order = ship_order("shop", f"RET-{uuid.uuid4().hex[:8]}", [(product.sku, 2)],
                           "韩梅梅", phone_number)
        session.commit()
        tracking = session.scalar(select(Parcel.tracking_number).join(Shipment)
                                  .where(Shipment.order_id == order.id))
        return order.id, (product.barcodes[0].code, product.sku, product.id), tracking


def test_find_by_phone_log_receive_inspect_put_away_and_exchange(
        new_phone, live_server, run_worker, monkeypatch, screenshot, tmp_path):
    phone_number = f"139{uuid.uuid4().int % 10**8:08d}"
    order_id, (code, sku, product_id), tracking = shipped_order(live_server, monkeypatch,
                                                                phone_number)
    with live_db(live_server) as session:
        ret_bin = session.scalar(select(Location.id).where(Location.code == "RET-01"))
        defective = session.scalar(select(Location.id).where(Location.code == "DEF-01"))
        before = {loc: on_hand(product_id, loc) for loc in (ret_bin, defective)}

    # ---- customer service finds the order by phone and logs the return
    service = new_phone()
    sign_in(service, "customer_service")
    service.locator("a.card.big", has_text="Returns (退换货)").click()
    service.locator("#q").fill(phone_number)
    service.get_by_role("button", name="Find").click()
    expect(service.locator("#found-orders li")).to_have_count(1)
    service.locator("#found-orders").get_by_role("link", name="Open a return").click()
    card = service.locator(f"#return-form li[data-line='{sku}']")
    card.locator("input[name^=qty]").fill("2")
    service.locator("select[name=reason]").select_option("damaged_in_transit")
    service.locator("input[name=resolution][value=exchange]").check()
    photo = tmp_path / "parcel.png"
    photo.write_bytes(png())
    service.locator("#return-form input[type=file]").set_input_files(str(photo))
    expect(service.locator("#return-form input[type=file]")).to_have_attribute(
        "data-state", "ready", timeout=20_000)
    screenshot(service, "returns-form")
    service.get_by_role("button", name="Log the return").click()
    expect(service.locator("#return-status")).to_have_attribute("data-status", "requested")
    with live_db(live_server) as session:
        rma = session.scalar(select(ReturnRequest).where(ReturnRequest.order_id == order_id))
        number, return_id = rma.number, rma.id
        stored = rma.photos[0]
        assert stored.content_type == "image/jpeg" and len(stored.data) < 1024 * 1024
    service.get_by_role("button", name="Label sent to the customer").click()
    expect(service.locator("#return-status")).to_have_attribute("data-status",
                                                                "awaiting_arrival")
    service.get_by_role("link", name="Print the return label").click()
    assert number in decoded_codes(service)
    service.go_back()

    # ---- the receiver scans the parcel's tracking number, passes one, fails one
    dock = new_phone()
    sign_in(dock, "receiver")
    dock.locator("a.card.big", has_text="Returns at the dock").click()
    expect(dock.locator("#dock-returns")).to_contain_text(number)
    dock.locator("#code").focus()
    typed_scan(dock, tracking)
    expect(dock.locator("h1")).to_contain_text(number)
    dock.locator("#scan").focus()
    typed_scan(dock, code)
    line = dock.locator(f"#return-dock-lines li[data-sku='{sku}']")
    expect(line).to_have_attribute("data-received", "1")
    line.locator("summary").click()
    line.locator("select[name=reason]").select_option("damaged")
    line.locator("input[name=note]").fill("crushed in transit")
    line.get_by_role("button", name="To the defective store").click()
    expect(dock.locator("#return-dock-lines [data-feedback=ok]")).to_contain_text("残品库")
    expect(line).to_have_attribute("data-received", "2")
    screenshot(dock, "returns-dock")
    dock.get_by_role("button", name="Inspection done: put away (上架)").click()
    expect(dock.locator("h1")).to_contain_text(number)
    run_worker(live_server.db_url, "default")
    task = dock.locator("#putaway-task .task")
    expect(task).to_be_visible(timeout=20_000)
    task_id = int(task.get_attribute("data-task-id"))
    with live_db(live_server) as session:
        bin_code = session.get(PutawayTask, task_id).suggested.code
    dock.locator("#scan").focus()
    typed_scan(dock, bin_code)
    expect(dock.locator("#putaway-task .loc.confirmed")).to_be_visible()
    typed_scan(dock, code)
    expect(dock.locator("[data-run-done]")).to_be_visible()

    # ---- customer service sends the replacement and reads the timeline
    service.goto(f"/returns/{return_id}")
    expect(service.locator("#return-status")).to_have_attribute("data-status", "inspected")
    service.get_by_role("button", name="Send the replacement (new order)").click()
    expect(service.locator("#replacement-order")).to_be_visible()
    timeline = service.locator("#return-timeline")
    for step in ("requested", "awaiting_arrival", "received", "inspected", "exchanged"):
        expect(timeline.locator(f"li[data-to='{step}']").first).to_be_attached()
    expect(timeline).to_contain_text("Put away (上架)")
    screenshot(service, "returns-timeline")

    with live_db(live_server) as session:
        rma = session.get(ReturnRequest, return_id)
        assert rma.status == "exchanged"
        replacement = session.get(Order, rma.replacement_order_id)
        assert replacement.status == "new" and replacement.lines[0].sku == sku
        outcomes = sorted(i.outcome for i in session.scalars(select(Inspection).where(
            Inspection.source_kind == "return", Inspection.source_id == return_id)))
        assert outcomes == ["fail", "pass"]
        assert on_hand(product_id, ret_bin) == before[ret_bin]
        assert on_hand(product_id, defective) == before[defective] + 1
        assert ledger_mismatches() == []
    assert not service.js_errors and not dock.js_errors


def logged_return(live_server, monkeypatch):
    """A return of both units of a freshly shipped order: its id and the product."""
    order_id, product, _tracking = shipped_order(live_server, monkeypatch,
                                                 f"137{uuid.uuid4().int % 10**8:08d}")
    with live_db(live_server) as session:
        order = session.get(Order, order_id)
        rma = services.open_return(order_id, None, {order.lines[0].id: 2},
                                   reason="defective", resolution="refund")
        session.commit()
        return rma.id, product


def test_the_dock_works_offline_through_the_outbox_and_a_rejected_return_conflicts(
        device, live_server, monkeypatch, screenshot):
    return_id, (code, sku, _product_id) = logged_return(live_server, monkeypatch)
    later_id, (later_code, _sku, _pid) = logged_return(live_server, monkeypatch)
    page = track_errors(device.pages[0] if device.pages else device.new_page())
    sign_in(page, "receiver")
    for rid in (later_id, return_id):
        page.goto(f"/returns/dock/{rid}")
        wait_for_worker(page)
        page.locator("#take-offline").click()
        expect(page.locator("#offline-state")).to_contain_text("is on this device")
    expect(page.locator("#return-dock-lines[data-offline='1']")).to_be_attached()

    device.set_offline(True)
    scan(page, code)
    line = page.locator(f"#return-dock-lines li[data-sku='{sku}']")
    expect(line).to_have_attribute("data-received", "1")
    line.locator("summary").click()
    line.locator("select[name=reason]").select_option("damaged")
    line.get_by_role("button", name="To the defective store").click()
    expect(line).to_have_attribute("data-received", "2")
    expect(waiting(page)).to_have_text("2 waiting")
    screenshot(page, "returns-dock-offline")
    page.reload()  # no network: the worker serves the dock's shell, IndexedDB the return
    expect(line).to_have_attribute("data-received", "2")
    expect(waiting(page)).to_have_text("2 waiting")
    uuids = [entry["id"] for entry in outbox(page)]
    with live_db(live_server) as session:
        assert session.scalar(select(ScanRecord.id).where(
            ScanRecord.scan_uuid.in_(uuids))) is None
    device.set_offline(False)
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    with live_db(live_server) as session:
        records = session.scalars(select(ScanRecord).where(ScanRecord.scan_uuid.in_(uuids)))
        assert sorted(r.status for r in records) == ["applied", "applied"]
        rma_line = session.get(ReturnRequest, return_id).lines[0]
        assert (rma_line.received_qty, rma_line.passed_qty, rma_line.failed_qty) == (2, 1, 1)
        assert ledger_mismatches() == []

    # ---- the other return is rejected while the handheld is offline: a conflict, kept
    page.goto(f"/returns/dock/{later_id}")
    expect(page.locator("#return-dock-lines[data-offline='1']")).to_be_attached()
    device.set_offline(True)
    scan(page, later_code)
    expect(waiting(page)).to_have_text("1 waiting")
    with live_db(live_server) as session:
        resolution.reject(later_id, None, "the customer kept it")
        session.commit()
    device.set_offline(False)
    expect(page.locator("#outbox-problems")).to_contain_text("rejected", timeout=SYNC_TIMEOUT)
    with live_db(live_server) as session:
        record = session.scalar(select(ScanRecord).where(ScanRecord.subject_id == later_id,
                                                         ScanRecord.action == "return_in"))
        assert record.status == "conflict" and "rejected" in record.reason
        assert session.get(ReturnRequest, later_id).lines[0].received_qty == 0
    assert not page.js_errors
