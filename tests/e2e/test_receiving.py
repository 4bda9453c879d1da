"""Inbound receiving in a real Chromium at 360x740, each step by the person who does it:
a supervisor imports a receipt, the receiver opens it by its 明细表 barcode and scans at
wedge speed (a GS1 code with lot and expiry included), accepts an over-receipt with a
reason, fails two units into the defective store with a photo, closes with both
signatures drawn with the mouse, prints the 入库单 (its Code128 read back from the
rendered page), and puts the stock away after a real worker planned the tasks."""
import struct
import uuid
import zlib

from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import live_db, sign_in
from test_outbound import decoded_codes, typed_scan
from webapp.catalog.models import Location, StockLevel
from webapp.catalog.stock import ledger_mismatches
from webapp.receiving.models import Inspection, PutawayTask, Receipt


def png(width=1600, height=1200):
    """A real PNG photo (a grey gradient), large enough that the device downscales it."""
    rows = b"".join(b"\x00" + bytes(((x + y) * 255 // (width + height)) for x in range(width)
                                     for _channel in range(3)) for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def draw_signature(page, field):
    """Two strokes with the mouse in one signature field."""
    canvas = page.locator(f"#signature-{field} .signature-canvas")
    expect(canvas).to_be_visible()  # shown once signature.js has wired it
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for stroke in (((20, 60), (80, 20), (140, 90), (220, 30)), ((40, 120), (260, 110))):
        page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=5)
        page.mouse.up()


def line_of(page, sku):
    """The receiving screen's card of a line."""
    return page.locator(f"#receipt-lines li[data-sku='{sku}']")


def test_import_receive_inspect_sign_print_and_put_away(new_phone, live_server, run_worker,
                                                        demo_products, screenshot, tmp_path):
    (ean_a, _n, sku_a), (ean_b, _m, sku_b) = demo_products[10], demo_products[11]
    reference = f"PO-E2E-{uuid.uuid4().hex[:6]}"

    # ---- the supervisor imports the 明细表
    supervisor = new_phone()
    sign_in(supervisor, "supervisor")
    supervisor.goto("/receipts/import")
    csv_file = tmp_path / "receipts.csv"
    csv_file.write_text("source,reference,supplier,dock,sku,quantity\n"
                        f"purchase,{reference},Yiwu Trading,RCV-03,{sku_a},5\n"
                        f"purchase,{reference},Yiwu Trading,RCV-03,{sku_b},2\n")
    supervisor.locator("input[type=file]").set_input_files(str(csv_file))
    supervisor.get_by_role("button", name="Import").click()
    expect(supervisor.locator("[data-outcome=created]")).to_have_count(1)
    number = supervisor.locator("[data-outcome=created] strong a").inner_text()
    with live_db(live_server) as session:
        receipt_id = session.scalar(select(Receipt.id).where(Receipt.reference == reference))

    # ---- the receiver finds it on the home screen and opens it by its barcode
    phone = new_phone()
    sign_in(phone, "receiver")
    expect(phone.locator("a.card.big", has_text="Receiving")).to_contain_text("expected today")
    phone.locator("a.card.big", has_text="Receiving").click()
    expect(phone.locator("#today-receipts")).to_contain_text(number)
    phone.locator("#scan").focus()
    typed_scan(phone, number)
    expect(phone.locator("h1")).to_contain_text(number)

    # ---- wedge-speed scans: 3 of A, then B by GS1 (lot and expiry) and by EAN
    for code in (ean_a, ean_a, ean_a, f"(01){ean_b.zfill(14)}(17)271130(10)LOT-E2E", ean_b):
        typed_scan(phone, code)
    expect(line_of(phone, sku_b)).to_have_attribute("data-received", "2")
    expect(line_of(phone, sku_a)).to_have_attribute("data-received", "3")
    # ---- one B too many: red, loud, and a reason before it counts
    typed_scan(phone, ean_b)
    expect(phone.locator("#receipt-lines [data-feedback=bad]")).to_contain_text(
        "More than expected")
    expect(phone.locator("body")).to_have_class("flash-bad")
    screenshot(phone, "receiving-over-receipt")
    phone.locator("#accept-form input[name=note]").fill("spare unit in the carton")
    phone.get_by_role("button", name="Accept with this reason").click()
    expect(line_of(phone, sku_b)).to_have_attribute("data-received", "3")

    # ---- two units of A fail inspection: damaged, with a photo downscaled on the device
    card = line_of(phone, sku_a)
    card.locator("summary").click()
    card.locator("input[name=qty]").fill("2")
    card.locator("select[name=reason]").select_option("damaged")
    card.locator("input[name=note]").fill("crushed corner")
    photo = tmp_path / "damage.png"
    photo.write_bytes(png())
    card.locator("input[type=file]").set_input_files(str(photo))
    expect(card.locator("input[type=file]")).to_have_attribute("data-state", "ready")
    card.get_by_role("button", name="To the defective store").click()
    expect(phone.locator("#receipt-lines [data-feedback=ok]")).to_contain_text("残品库")
    expect(line_of(phone, sku_a)).to_have_attribute("data-received", "5")
    screenshot(phone, "receiving-lines")
    with live_db(live_server) as session:
        failed = session.scalars(select(Inspection).where(
            Inspection.source_id == receipt_id, Inspection.outcome == "fail")).all()
        assert [(f.quantity, f.reason) for f in failed] == [(2, "damaged")]
        stored = failed[0].photos[0]
        # Sent as a PNG of 1600x1200, stored as the JPEG the device made of it.
        assert stored.content_type == "image/jpeg" and stored.data[:3] == b"\xff\xd8\xff"
        lot = session.scalar(select(Inspection.lot).where(Inspection.lot == "LOT-E2E"))
        assert lot == "LOT-E2E"

    # ---- closing: discrepancies, both signatures drawn with the mouse
    phone.get_by_role("link", name="Close receipt (入库单)").click()
    expect(phone.locator("table.discrepancies")).to_contain_text("+1")
    draw_signature(phone, "receiver")
    phone.locator("input[name=delivered_by]").fill("Wang Wu")
    phone.locator("input[name=company]").fill("Yiwu Trading")
    draw_signature(phone, "deliverer")
    screenshot(phone, "receiving-close")
    phone.get_by_role("button", name="Close and plan put-away").click()
    expect(phone.locator("#putaway-task")).to_have_attribute("hx-trigger", "load delay:1s")
    run_worker(live_server.db_url, "default")
    expect(phone.locator("#putaway-task .task")).to_be_visible(timeout=20_000)

    # ---- the 入库单 prints with its Code128 and both signatures
    grn = new_phone()
    sign_in(grn, "receiver")
    grn.goto(f"/receipts/{receipt_id}/grn")
    expect(grn.locator("img.signature-image")).to_have_count(2)
    assert number in decoded_codes(grn)
    screenshot(grn, "receiving-grn")

    # ---- put-away: bin, then item, task after task, at wedge speed
    with live_db(live_server) as session:
        dock = session.scalar(select(Location.id).where(Location.code == "RCV-03"))
    for _ in range(10):
        task = phone.locator("#putaway-task .task")
        if not task.count():
            break
        task_id = int(task.get_attribute("data-task-id"))
        with live_db(live_server) as session:
            row = session.get(PutawayTask, task_id)
            bin_code, product_code = row.suggested.code, row.product.barcodes[0].code
        typed_scan(phone, bin_code)
        expect(phone.locator("#putaway-task .loc.confirmed")).to_be_visible()
        typed_scan(phone, product_code)
        expect(phone.locator(f"#putaway-task [data-task-id='{task_id}']")).to_have_count(0)
    expect(phone.locator("[data-run-done]")).to_be_visible()
    screenshot(phone, "receiving-putaway-done")
    with live_db(live_server) as session:
        assert session.get(Receipt, receipt_id).status == "put_away"
        assert not session.scalars(select(StockLevel).where(
            StockLevel.location_id == dock, StockLevel.quantity > 0)).all()
        assert ledger_mismatches() == []
    assert not phone.js_errors
