"""Courier handoff (交接) in Chromium at 360x740, tried as a new courier would: three
parcels packed; the courier opens the manifest on the phone, scans one online, loses
the network, scans another and a label that is not ours (refused loudly), reloads with
no network, comes back online (each scan applied once), both sides sign with mouse
strokes, the 交接单 shows; two orders are handed over, the third parcel moved on;
the carrier's events arrive and a failed delivery reaches customer service."""
import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select, update

from offline_support import (fresh_pick_list, live_db, scan, sign_in, track_errors,
                              wait_for_worker, walk_plan)
from webapp.accounts.models import User
from webapp.extensions import db
from webapp.handoff import services as handoff, tracking
from webapp.handoff.jobs import poll_tracking
from webapp.handoff.models import AfterSalesCase, Manifest, ParcelTracking
from webapp.orders.models import Order
from webapp.packing import booking
from webapp.packing import services as packing
from webapp.packing.documents import render_label
from webapp.picking import services as picking
from webapp.sync.models import ScanRecord
from webapp.timeutil import utcnow

SYNC_TIMEOUT = 90_000
BOX = {"weight_g": "900", "length_mm": "300", "width_mm": "200", "height_mm": "100"}


def _user(name):
    return db.session.scalar(select(User.id).where(User.username == name))


def packed_parcels(server, monkeypatch, count=3):
    """`count` orders picked, verified, packed and booked on the server, on a manifest of
    their own: (manifest id, [(tracking number, order id)])."""
    list_id = fresh_pick_list(server, monkeypatch, orders=count, lines=((1, 1),))
    plan = walk_plan(server, list_id)
    with live_db(server):
        for manifest in db.session.scalars(select(Manifest).where(Manifest.status == "open")):
            handoff.close_manifest(manifest.id, _user("supervisor"))  # earlier tests' parcels
        picker = _user("picker")
        picking.start_list(list_id, picker)
        for _task, location, barcode, quantity in plan:
            for code in [location] + [barcode] * quantity:
                assert picking.scan(list_id, picker, code, 1).ok
        db.session.commit()
        orders = db.session.scalars(select(Order).where(Order.status == "picked")
                                    .order_by(Order.id.desc()).limit(count)).all()
        parcels = []
        for order in orders:
            for line in order.lines:
                line.verified_qty = line.quantity  # verified at the station (tested there)
            shipment = packing.pack(order.id, [BOX], _user("packer"))
            db.session.flush()
            booking.book(shipment.id, render_label)
            handoff.add_shipment(shipment.id)
            parcels.append((shipment.parcels[0].tracking_number, order.id))
        db.session.commit()
        manifest_id = handoff.open_manifest("builtin").id
        return manifest_id, parcels


def draw(page, selector):
    """A signature: two strokes with the mouse across the field's canvas."""
    canvas = page.locator(f"{selector} canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for offset in (0.35, 0.65):
        page.mouse.move(box["x"] + 20, box["y"] + box["height"] * offset)
        page.mouse.down()
        for step in range(1, 8):
            page.mouse.move(box["x"] + 20 + step * (box["width"] - 40) / 7,
                            box["y"] + box["height"] * (offset + (0.1 if step % 2 else -0.1)),
                            steps=3)
        page.mouse.up()


def test_courier_hands_over_with_a_reload_offline_and_both_signatures(
        device, live_server, monkeypatch, screenshot):
    manifest_id, parcels = packed_parcels(live_server, monkeypatch)
    (first, order_a), (second, order_b), (missing, order_c) = parcels
    page = track_errors(device.pages[0] if device.pages else device.new_page())
    sign_in(page, "courier")
    home = page.locator(f"#home-handoff a[href$='/handoff/manifests/{manifest_id}']")
    expect(home).to_contain_text("0 of 3 scanned")
    screenshot(page, "handoff-courier-home")
    home.click()
    wait_for_worker(page)
    expect(page.locator("#offline-state")).to_contain_text("on this device", timeout=30_000)
    verdict = page.locator("#manifest [data-feedback]")
    scan(page, first)
    expect(verdict).to_have_attribute("data-feedback", "ok")
    expect(page.locator("#scanned-count")).to_have_text("1")
    expect(page.locator("#sync-waiting")).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)

    device.set_offline(True)
    scan(page, second)
    expect(verdict).to_contain_text(f"{second} · order")
    scan(page, "WH999999999CN")  # not a parcel of this manifest: refused loudly
    expect(verdict).to_have_attribute("data-feedback", "bad")
    expect(verdict).to_contain_text("not on this manifest")
    expect(page.locator("body")).to_have_class(re.compile(r"\bflash-bad\b"))
    expect(page.locator("#sync-waiting")).to_have_text("2 waiting")
    screenshot(page, "handoff-offline-refused")

    page.reload()  # no network: the shell, the manifest and its scans from the phone
    expect(page.locator("#manifest[data-local='1']")).to_be_attached()
    expect(page.locator("#scanned-count")).to_have_text("2")
    expect(page.locator(f"#manifest tr[data-tracking='{missing}']")).to_have_attribute(
        "data-status", "expected")
    expect(page.locator("#sync-waiting")).to_have_text("2 waiting")
    screenshot(page, "handoff-offline-reloaded")

    device.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#sync-waiting")).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    with live_db(live_server):
        statuses = sorted(db.session.scalars(select(ScanRecord.status).where(
            ScanRecord.action == "handoff", ScanRecord.subject_id == manifest_id)))
    assert statuses == ["applied", "applied", "rejected"]  # each once; the refusal kept

    page.goto(f"/handoff/manifests/{manifest_id}")
    page.locator("input[name=courier_name]").fill("王师傅")
    page.locator("input[name=courier_badge]").fill("13900001111")
    draw(page, "#signature-warehouse")
    draw(page, "#signature-courier")
    screenshot(page, "handoff-signing")
    for name in ("warehouse_svg", "courier_svg"):
        assert "<path" in page.locator(f"#sign-form input[name={name}]").input_value()
    page.locator("#sign-form button.primary").click()
    expect(page).to_have_url(re.compile(rf"/handoff/manifests/{manifest_id}/document$"))
    expect(page.locator(".a4-page > svg")).to_have_count(1)
    expect(page.locator(".a4-page image[data-signer]")).to_have_count(2)
    screenshot(page, "handoff-manifest-document")

    with live_db(live_server):
        assert db.session.get(Order, order_a).status == "handed_over"
        assert db.session.get(Order, order_b).status == "handed_over"
        assert db.session.get(Order, order_c).status == "packed"
        nxt = handoff.open_manifest("builtin")
        assert missing in [m.parcel.tracking_number for m in nxt.members]
        # The carrier's events: a day and a half later, then a failed delivery.
        db.session.execute(update(ParcelTracking).values(
            handed_over_at=utcnow() - timedelta(hours=36)))
        db.session.commit()
        poll_tracking()
        tracking.ingest("builtin", [tracking.parse_event({
            "tracking_number": first, "code": "address_wrong", "event_id": "e2e-1",
            "at": utcnow().isoformat(), "location": "派送站"})], "webhook")
        db.session.commit()
        case_id = db.session.scalar(select(AfterSalesCase.id).join(ParcelTracking,
            ParcelTracking.parcel_id == AfterSalesCase.parcel_id).where(
            ParcelTracking.tracking_number == first))
    assert case_id is not None

    service = device.new_page()
    track_errors(service)
    sign_in(service, "customer_service")
    expect(service.locator("#home-cases")).to_contain_text("address wrong")
    service.goto("/aftersales")
    expect(service.locator(f"a[data-case='{case_id}']")).to_be_visible()
    screenshot(service, "aftersales-list")
    service.locator(f"a[data-case='{case_id}']").click()
    expect(service.locator("li[data-event='picked_up']")).to_be_attached()
    expect(service.locator("li[data-event='address_wrong']")).to_be_attached()
    screenshot(service, "aftersales-case")
    assert page.js_errors == [] and service.js_errors == []
