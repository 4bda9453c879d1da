"""Camera scanning in a real Chromium: the polyfill, its WebAssembly, the button, a scan.

Headless Debian Chromium has no native BarcodeDetector, so the vendored polyfill
(static/vendor/barcode-detector) is what runs here, as on a phone without one.
Every request of the browser context is recorded: none may leave the live server
(the polyfill's built-in default for its .wasm is a CDN). A fake camera
(--use-file-for-fake-video-capture) films a generated EAN-13 label, to scan
end to end the way a courier does with a phone.
"""
from urllib.parse import parse_qs, urlparse

import barcode
import pytest
from barcode.writer import SVGWriter
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"  # as in conftest.py: the Debian build, never a downloaded one
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
VENDOR = "/static/vendor/barcode-detector/"

WATCH_CSP = """() => {
  window.cspBlocked = [];
  document.addEventListener("securitypolicyviolation", (e) => window.cspBlocked.push(e.blockedURI));
}"""
DETECT_IN_PAGE = """async ({svg, scale}) => {
  const url = URL.createObjectURL(new Blob([svg], {type: "image/svg+xml"}));
  const img = new Image();
  img.src = url;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth * scale;
  canvas.height = img.naturalHeight * scale;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  URL.revokeObjectURL(url);
  document.body.append(canvas);
  const detector = await WarehouseCamera.createDetector({native: false});
  const found = await detector.detect(canvas);
  return found.map((b) => ({rawValue: b.rawValue, format: b.format,
                           parsed: WarehouseBarcodes.parse(b.rawValue)}));
}"""


def svg_label(kind, data):
    """A barcode drawn by python-barcode's SVG writer (the label printer's library)."""
    code = barcode.get(kind, data, writer=SVGWriter())
    return code.render({"module_width": 0.4, "module_height": 12, "quiet_zone": 6,
                        "write_text": False}).decode()


def record_requests(context):
    """Every URL the context asks for (pages, scripts, wasm, service worker)."""
    urls = []
    context.on("request", lambda request: urls.append(request.url))
    return urls


def assert_all_local(urls, live_server):
    """No request leaves the live server: no CDN, no third party."""
    assert urls, "nothing was recorded"
    foreign = [url for url in urls if not (url.startswith(live_server.url + "/")
                                           or url.startswith(("blob:", "data:")))]
    assert foreign == [], f"requests left {live_server.url}: {foreign}"


# ---------------------------------------------------------------- the polyfill
@pytest.mark.parametrize("kind,data,raw,symbology,gtin", [
    ("code128", "WH-CAM-0042", "WH-CAM-0042", "code_128", None),
    ("ean13", "400638133393", "4006381333931", "ean_13", "04006381333931"),
    # A carton's GS1-128 (python-barcode starts it with FNC1): the camera gives no ]C1
    # but keeps the GS, and the shared parser still reads the element string.
    ("gs1_128", "010950600013435217201225\x1d10ABC", "010950600013435217201225\x1d10ABC",
     "code_128", "09506000134352"),
], ids=["code128", "ean13", "gs1-128"])
def test_polyfill_reads_a_label_with_everything_from_our_origin(phone, live_server, kind, data,
                                                                 raw, symbology, gtin):
    urls = record_requests(phone.context)
    phone.goto("/login")  # any page: camera.js is on every page
    assert phone.evaluate("'BarcodeDetector' in window") is False  # so the polyfill is tested
    phone.evaluate(WATCH_CSP)  # a fetch the CSP stops is not a request: catch those too
    found = phone.evaluate(DETECT_IN_PAGE, {"svg": svg_label(kind, data), "scale": 4})

    assert [(b["rawValue"], b["format"]) for b in found] == [(raw, symbology)]
    assert found[0]["parsed"]["errors"] == []
    assert found[0]["parsed"]["gtin"] == gtin
    local = {urlparse(url).path for url in urls if url.startswith(live_server.url)}
    assert {VENDOR + "ponyfill.js", VENDOR + "zxing_reader.wasm"} <= local
    assert_all_local(urls, live_server)
    assert phone.evaluate("window.cspBlocked") == []
    assert phone.js_errors == []


def test_the_cdn_default_is_overridden_before_the_wasm_is_fetched(phone, live_server):
    """Block every foreign host: the polyfill must still work (it never tried one)."""
    blocked = []

    def refuse_foreign(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()
    phone.context.route("**/*", refuse_foreign)
    phone.goto("/login")
    found = phone.evaluate(DETECT_IN_PAGE, {"svg": svg_label("code128", "LOC-A-01"), "scale": 4})
    assert [b["rawValue"] for b in found] == ["LOC-A-01"]
    assert blocked == []


def test_no_camera_no_button(phone, login):
    """Headless Chromium has no camera: the scan field is alone, as on a handheld."""
    login(phone, "picker")
    phone.goto("/lookup")
    expect(phone.locator("#scan")).to_be_focused()
    # camera.js asked the browser for cameras and got its answer (a button would be there by now)
    expect(phone.locator("#scan")).to_have_attribute("data-camera-found", "0")
    assert phone.locator(".camera-open").count() == 0


# ---------------------------------------------------------------- a fake camera
def y4m_of_ean13(path, digits, width=640, height=480, frames=10):
    """A still video (YUV4MPEG2, 4:2:0) of an EAN-13 label, for Chromium's fake camera."""
    modules = "0" * 11 + barcode.get("ean13", digits).build()[0] + "0" * 11
    size = max(1, (width - 40) // len(modules))
    left = (width - size * len(modules)) // 2
    row = bytearray([235] * width)  # white (video range)
    for index, bit in enumerate(modules):
        if bit == "1":
            row[left + index * size:left + (index + 1) * size] = bytes([16]) * size
    white = bytes([235]) * width
    luma = b"".join(bytes(row) if height // 4 < y < 3 * height // 4 else white
                    for y in range(height))
    chroma = bytes([128]) * ((width // 2) * (height // 2) * 2)  # U and V: grey
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma)
    return path


@pytest.fixture(scope="module")
def camera_phone(browser, live_server, demo_products, tmp_path_factory):
    """new page in a Chromium whose camera films the first demo product's EAN-13."""
    ean = demo_products[0][0]
    video = y4m_of_ean13(tmp_path_factory.mktemp("camera") / "label.y4m", ean[:12])
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                              f"--use-file-for-fake-video-capture={video}"])
    contexts = []

    def open_page():
        context = chromium.new_context(**PHONE, base_url=live_server.url, locale="en-US",
                                       permissions=["camera"])
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        return page
    yield open_page
    for context in contexts:
        context.close()
    chromium.close()


def test_camera_button_only_under_a_scan_field(camera_phone, login):
    page = login(camera_phone(), "picker")
    expect(page.locator(".camera-open")).to_have_count(0)  # home: no scan field
    page.goto("/lookup")
    expect(page.locator("#scan")).to_have_attribute("data-camera-found", "1")
    expect(page.locator("form .camera-open")).to_have_text("Scan with camera")
    assert page.js_errors == []


def test_camera_scan_goes_through_the_scan_queue(camera_phone, login, live_server, demo_products):
    ean, name, _sku = demo_products[0]
    page = login(camera_phone(), "picker")
    urls = record_requests(page.context)
    sent = []
    # The field posts its code (a long GS1 string does not fit in a URL).
    page.on("request", lambda request: request.method == "POST"
            and urlparse(request.url).path == "/lookup" and sent.append(
                parse_qs(request.post_data or "").get("code", [""])[0]))
    page.goto("/lookup")
    page.locator(".camera-open").click()
    expect(page.locator(".camera-panel video")).to_be_visible()
    expect(page.locator("#lookup-result [data-feedback=ok] h2")).to_have_text(name)
    page.wait_for_timeout(1500)  # the label stays in view: it must not be sent again
    assert sent == [ean]
    expect(page.locator("#scan")).to_have_value("")

    page.locator(".camera-stop").click()
    expect(page.locator(".camera-panel")).to_have_count(0)
    expect(page.locator(".camera-open")).to_be_visible()
    assert page.evaluate("document.querySelectorAll('video').length") == 0
    assert_all_local(urls, live_server)
    assert page.js_errors == []
