"""The outbound path in a real Chromium at phone size, each step by the person who does it:
a supervisor imports orders and plans a wave (a real RQ worker plans it), a picker walks
the list typing scans at wedge speed, a packer verifies (复核) and packs, a real worker
books the parcel, and the label page shows the tracking number as a Code128 that reads
back from the rendered page."""
import base64
import re
import uuid

import zxingcpp
from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import live_db, sign_in, walk_plan
from webapp.catalog.stock import ledger_mismatches
from webapp.orders.models import Order
from webapp.packing.carriers import s10_valid
from webapp.packing.models import Parcel, Shipment
from webapp.picking.models import PickTask

CHANNEL = "e2e-web"  # a dash in the channel: the packer types channel-number
PRIORITY = 95  # higher than anything else in the live database: the wave takes only ours


def orders_csv(numbers, skus, bad_number):
    """Two valid orders (the first with 2 units of one line) and one with an unknown SKU."""
    address = "Li Lei,13800000000,1 Renmin Rd,Hangzhou,Zhejiang,310000,CN,builtin"
    rows = ["channel,order_no,sku,quantity,name,phone,line1,city,province,postcode,country,"
            f"carrier,priority,cutoff_at",
            f"{CHANNEL},{numbers[0]},{skus[0]},2,{address},{PRIORITY},",
            f"{CHANNEL},{numbers[0]},{skus[1]},1,{address},{PRIORITY},",
            f"{CHANNEL},{numbers[1]},{skus[2]},1,{address},{PRIORITY},",
            f"{CHANNEL},{bad_number},NO-SUCH-SKU,1,{address},{PRIORITY},"]
    return ("\n".join(rows) + "\n").encode()


def order_ids(live_server, numbers):
    """{number: order id} for our orders."""
    with live_db(live_server) as session:
        rows = session.execute(select(Order.channel_order_no, Order.id).where(
            Order.channel == CHANNEL, Order.channel_order_no.in_(numbers))).all()
    return dict(rows)


# Draws each <svg> of the page the way Chromium renders it, 4x, on white, and hands back
# its grey levels: what a scanner pointed at the printed label would see.
RENDER_SVGS = """async () => {
  const images = [];
  for (const svg of document.querySelectorAll("svg")) {
    const picture = new Image();
    picture.src = "data:image/svg+xml;charset=utf-8," +
      encodeURIComponent(new XMLSerializer().serializeToString(svg));
    await picture.decode();
    const width = Math.round(picture.naturalWidth * 4), height = Math.round(picture.naturalHeight * 4);
    const canvas = Object.assign(document.createElement("canvas"), {width, height});
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, height);
    context.drawImage(picture, 0, 0, width, height);
    const rgba = context.getImageData(0, 0, width, height).data;
    let grey = "";
    for (let i = 0; i < rgba.length; i += 4) grey += String.fromCharCode(rgba[i]);
    images.push({width, height, grey: btoa(grey)});
  }
  return images;
}"""


def decoded_codes(page):
    """Every barcode ZXing reads in the page's rendered SVGs (an independent decoder)."""
    found = []
    for image in page.evaluate(RENDER_SVGS):
        pixels = memoryview(base64.b64decode(image["grey"])).cast(
            "B", (image["height"], image["width"]))
        found += [result.text for result in zxingcpp.read_barcodes(pixels)]
    return found


def typed_scan(page, code):
    """A wedge scanner: keys 5 ms apart, then Enter; the field keeps focus."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def test_import_wave_pick_verify_pack_and_print(new_phone, live_server, run_worker,
                                                demo_products, screenshot, tmp_path):
    numbers = [f"W{uuid.uuid4().hex[:8]}", f"W{uuid.uuid4().hex[:8]}"]
    bad_number = f"W{uuid.uuid4().hex[:8]}"
    skus = [sku for _ean, _name, sku in demo_products[-3:]]

    # ---- the supervisor imports orders: two go in, the bad one is held with its reason
    supervisor = new_phone()
    sign_in(supervisor, "supervisor")
    supervisor.goto("/orders/import")
    csv_file = tmp_path / "orders.csv"
    csv_file.write_bytes(orders_csv(numbers, skus, bad_number))
    supervisor.locator("input[type=file]").set_input_files(str(csv_file))
    supervisor.get_by_role("button", name="Import").click()
    expect(supervisor.locator("tr.outcome-created")).to_have_count(2)
    held = supervisor.locator("tr.outcome-held")
    expect(held).to_have_count(1)
    expect(held).to_contain_text("NO-SUCH-SKU")

    # ---- ... and plans a wave of the urgent ones; a real worker plans it, the page polls
    supervisor.goto("/waves")
    supervisor.locator("input[name=min_priority]").fill(str(PRIORITY))
    supervisor.get_by_role("button", name="Plan a wave").click()
    wave = supervisor.locator("#waves .run").first
    expect(wave.locator("[data-status]")).to_have_attribute("data-status", "queued")
    run_worker(live_server.db_url, "picking")
    expect(wave.locator("[data-status]")).to_have_attribute("data-status", "finished",
                                                            timeout=20_000)
    expect(wave.locator("p.ok")).to_contain_text("for 2 orders")
    ids = order_ids(live_server, numbers + [bad_number])
    assert set(ids) == set(numbers + [bad_number])
    with live_db(live_server) as session:
        list_ids = set(session.scalars(select(PickTask.pick_list_id).where(
            PickTask.order_id.in_([ids[n] for n in numbers]))))
    assert len(list_ids) == 1  # two small orders share one cart
    (list_id,) = list_ids

    # ---- the picker walks the list: a wrong item is refused in red, the rest at wedge speed
    picker = new_phone()
    sign_in(picker, "picker")
    picker.goto("/picking")
    picker.locator(f"form[action$='/picking/lists/{list_id}/start'] button").click()
    expect(picker).to_have_url(re.compile(rf"/picking/lists/{list_id}$"))
    plan = walk_plan(live_server, list_id)
    _first_id, first_location, first_barcode, _qty = plan[0]
    expect(picker.locator(".task .loc")).to_have_text(first_location)
    expect(picker.locator("#scan")).to_be_focused()
    typed_scan(picker, first_location)
    expect(picker.locator("[data-feedback=ok]")).to_be_visible()
    wrong = next(ean for ean, _n, _s in demo_products if ean not in {p[2] for p in plan})
    typed_scan(picker, wrong)
    refusal = picker.locator("[data-feedback=bad]")
    expect(refusal).to_be_visible()
    expect(refusal).to_have_css("color", "rgb(179, 0, 27)")  # --bad
    screenshot(picker, "e2e-pick-refused")
    codes = [first_barcode] * plan[0][3]
    for _id, location, barcode, quantity in plan[1:]:
        codes += [location] + [barcode] * quantity
    for code in codes:
        typed_scan(picker, code)
        picker.wait_for_timeout(50)  # the scanner's pause between two labels
    expect(picker.locator("[data-list-done]")).to_be_visible(timeout=20_000)
    expect(picker.locator(".progress-text")).to_have_text(f"{len(plan)} of {len(plan)} tasks done")
    screenshot(picker, "e2e-pick-finished")
    assert picker.js_errors == []

    # ---- the packer verifies the two-line order: an extra unit is refused, then it packs
    number = numbers[0]
    packer = new_phone()
    sign_in(packer, "packer")
    packer.goto("/packing")
    expect(packer.locator("#scan")).to_be_focused()
    typed_scan(packer, f"{CHANNEL}-{number}")
    expect(packer).to_have_url(re.compile(rf"/packing/orders/{ids[number]}$"))
    expect(packer.locator("#pack-form")).to_have_count(0)  # nothing scanned yet: locked
    barcodes = {sku: ean for ean, _name, sku in demo_products}
    for code in [barcodes[skus[0]], barcodes[skus[0]], barcodes[skus[1]]]:
        typed_scan(packer, code)
        packer.wait_for_timeout(50)
    expect(packer.locator("#pack-form")).to_be_visible(timeout=10_000)
    expect(packer.locator(f"tr[data-sku='{skus[0]}'] td.num").last).to_have_text("2")
    typed_scan(packer, barcodes[skus[1]])
    expect(packer.locator("[data-feedback=bad]")).to_contain_text("Too many")
    expect(packer.locator(f"tr[data-sku='{skus[1]}'] td.num").last).to_have_text("1")
    form = packer.locator("#pack-form")
    for name, value in (("weight_g", "850"), ("length_mm", "300"), ("width_mm", "200"),
                        ("height_mm", "120")):
        form.locator(f"input[name={name}]").fill(value)
    screenshot(packer, "e2e-verified")
    form.get_by_role("button", name="Pack and print").click()
    expect(packer).to_have_url(re.compile(rf"/packing/orders/{ids[number]}/shipment$"))
    status = packer.locator("#shipment [data-status]")
    expect(status).to_have_attribute("data-status", "queued")
    run_worker(live_server.db_url, "packing")
    expect(status).to_have_attribute("data-status", "booked", timeout=20_000)
    tracking = packer.locator("[data-tracking]").inner_text().strip()
    assert s10_valid(tracking), tracking

    # ---- the label: tracking number as Code128, read back from the rendered page
    with packer.expect_popup() as popup:
        packer.get_by_role("link", name="Print labels").click()
    label = popup.value
    expect(label.locator("body")).to_contain_text(tracking)
    expect(label.locator("body")).to_contain_text(f"{CHANNEL}-{number}")
    assert tracking in decoded_codes(label)

    # ---- the server agrees: packed, one parcel with that number, ledger intact
    with live_db(live_server) as session:
        order = session.get(Order, ids[number])
        assert order.status == "packed"
        assert session.scalars(select(Parcel.tracking_number).join(Shipment).where(
            Shipment.order_id == order.id)).all() == [tracking]
        assert session.get(Order, ids[numbers[1]]).status == "picked"
        assert session.get(Order, ids[bad_number]).status == "on_hold"
        assert ledger_mismatches() == []
