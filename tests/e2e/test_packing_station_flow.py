"""The packing station as a new packer uses it, in Chromium at 360x740: a 24-unit line
verified with one scan and a quantity, a box preset picked, packed; a real worker sends
the label as ZPL to the station's printer (a local TCP listener), the label prints at
100 x 150 mm, and the checker signs the 出库单 on screen."""
import re
import socket
import threading

from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import fresh_pick_list, live_db, walk_plan
from webapp.accounts.models import User
from webapp.catalog.models import Barcode
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.packing import boxes, stations
from webapp.packing.models import LabelPrint, Parcel, Shipment
from webapp.picking import services as picking

MM = 72 / 25.4  # PDF points per millimetre


class Listener:
    """A label printer's port 9100, played by a local socket that keeps what it gets."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port, self.received = self.sock.getsockname()[1], []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                self.received.append(data.decode())


def picked_order(server, monkeypatch):
    """A picked order: 24 units of one product and 1 of another; (order id, [(sku, ean, qty)])."""
    list_id = fresh_pick_list(server, monkeypatch, orders=1, lines=((1, 24), (1, 1)))
    plan = walk_plan(server, list_id)
    with live_db(server):
        picker = db.session.scalar(select(User.id).where(User.username == "picker"))
        picking.start_list(list_id, picker)
        db.session.commit()
        for _task, location, barcode, quantity in plan:
            assert picking.scan(list_id, picker, location, 1).ok
            assert picking.scan(list_id, picker, barcode, quantity).ok
            db.session.commit()
        order = db.session.scalar(select(Order).where(Order.status == "picked")
                                  .order_by(Order.id.desc()))
        lines = [(l.sku, db.session.scalar(select(Barcode.code).where(
            Barcode.product_id == l.product_id).order_by(Barcode.id)), l.quantity)
            for l in order.lines]
        return order.id, sorted(lines, key=lambda line: -line[2])


def station_with_printer(server, port):
    """Box presets and a station whose printer is 127.0.0.1:port; the station's id."""
    with live_db(server):
        for code, size, tare in (("E2E-S", (200, 150, 100), 90), ("E2E-M", (400, 300, 200), 250)):
            if boxes.by_code(code) is None:
                boxes.save_preset({"code": code, "name": f"Box {code}", "inner_length_mm": size[0],
                                   "inner_width_mm": size[1], "inner_height_mm": size[2],
                                   "tare_g": tare})
        station = stations.save_station({"code": f"E2E-{port}", "name": "Bench E2E",
                                         "printer_host": "127.0.0.1", "printer_port": str(port)})
        db.session.commit()
        return station.id


def scan(page, code):
    """A wedge scanner: keys, then Enter."""
    page.locator("#scan").focus()
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def test_quantity_box_zpl_print_and_signature(new_phone, live_server, run_worker, login,
                                              monkeypatch, screenshot):
    listener = Listener()
    order_id, ((sku, ean, qty), (sku2, ean2, _one)) = picked_order(live_server, monkeypatch)
    assert qty == 24
    station_id = station_with_printer(live_server, listener.port)
    packer = new_phone()
    login(packer, "packer")
    packer.goto(f"/packing?station={station_id}")
    packer.goto(f"/packing/orders/{order_id}")
    scan(packer, ean)  # the first unit by its barcode ...
    expect(packer.locator("#rest-qty")).to_have_value("23")
    packer.locator("#rest-qty").fill("30")  # ... more than is left: refused
    packer.get_by_role("button", name="Add", exact=True).click()
    expect(packer.locator("[data-feedback=bad]")).to_contain_text(f"only 23 of {sku} left")
    packer.locator("#rest-qty").fill("23")  # ... and the rest with a number
    packer.get_by_role("button", name="Add", exact=True).click()
    expect(packer.locator(f"tr[data-sku='{sku}'] td.num").last).to_have_text("24")
    scan(packer, ean2)
    form = packer.locator("#pack-form")
    expect(form).to_be_visible()
    form.locator("input[name=box_code]").fill("e2e-m")
    form.locator("input[name=weight_g]").fill("2400")
    screenshot(packer, "packing-quantity-box-360")
    assert packer.evaluate("document.documentElement.scrollWidth") <= 360
    form.get_by_role("button", name="Pack and print").click()
    expect(packer).to_have_url(re.compile(rf"/packing/orders/{order_id}/shipment$"))

    run_worker(live_server.db_url, "packing")  # books, then sends the label to the printer
    expect(packer.locator("[data-print-status=sent]")).to_be_visible(timeout=20_000)
    tracking = packer.locator("[data-tracking]").inner_text().strip()
    (zpl,) = listener.received
    assert re.search(rf"\^BC[^\^]*\^FH\\\^FD{tracking}\^FS", zpl), zpl
    with live_db(live_server):
        parcel = db.session.scalar(select(Parcel).join(Shipment)
                                   .where(Shipment.order_id == order_id))
        assert (parcel.box_code, parcel.length_mm, parcel.weight_g) == ("E2E-M", 400, 2400)
        assert db.session.scalar(select(LabelPrint.status).where(
            LabelPrint.parcel_id == parcel.id)) == "sent"

    # The checker signs the 出库单 on screen with a finger.
    canvas = packer.locator(".signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for stroke in ([(30, 60), (90, 120), (160, 50), (240, 110)], [(50, 140), (260, 130)]):
        packer.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        packer.mouse.down()
        for x, y in stroke[1:]:
            packer.mouse.move(box["x"] + x, box["y"] + y, steps=5)
        packer.mouse.up()
    packer.get_by_role("button", name="Save signature").click()
    expect(packer.locator(".flash.ok")).to_contain_text("Signed")
    screenshot(packer, "packing-shipment-signed-360")

    slip = packer.context.new_page()
    slip.goto(f"/packing/orders/{order_id}/slip")
    expect(slip.locator("[data-checker]")).to_have_text("Demo packer")
    expect(slip.locator("[data-signed='1'] img")).to_be_visible()
    assert slip.evaluate("document.querySelector('.slip-signature').naturalWidth") > 0
    assert slip.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(slip, "packing-slip-360")
    a4 = slip.pdf(prefer_css_page_size=True)
    assert _page_size(a4) == (210, 297)

    labels = packer.context.new_page()
    labels.goto(f"/packing/orders/{order_id}/labels")
    expect(labels.get_by_role("button", name="Print")).to_be_visible()
    assert labels.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(labels, "packing-label-360")
    pdf = labels.pdf(prefer_css_page_size=True)
    assert _page_size(pdf) == (100, 150)
    assert packer.js_errors == []


def _page_size(pdf):
    """The first page's size in whole millimetres, from its /MediaBox."""
    box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    width, height = float(box[3]) - float(box[1]), float(box[4]) - float(box[2])
    return round(width / MM), round(height / MM)
