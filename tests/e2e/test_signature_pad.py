"""The signature field in a real Chromium at 360x740: drawn with the mouse, kept as SVG.

The page is the shared macro rendered by the app, served at the live server's origin
(so the scripts are the real static files, under the real CSP-free test page), and
the network is cut before drawing: signing needs nothing from the server.
"""
from flask import render_template_string
from playwright.sync_api import expect

from webapp.signatures.svg import clean_svg

FORM = """<!doctype html><html><head><meta name="viewport" content="width=device-width">
<link rel="stylesheet" href="{{ url_for('static', filename='css/app.css') }}"></head>
<body><main><form method="post" action="/nowhere" class="stack">
{% from "_signature.html" import signature_field %}
{{ signature_field("checker", "Checker's signature") }}
<button class="button primary">Save</button></form></main></body></html>"""


def signature_page(live_server, page):
    """Open the macro's HTML at /__signature on the live server's origin."""
    with live_server.app.test_request_context():
        html = render_template_string(FORM)
    page.route(f"{live_server.url}/__signature",
               lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto("/__signature")
    expect(page.locator(".signature-canvas")).to_be_visible()


def draw(page, strokes):
    """Drag the mouse along each stroke (canvas-relative points)."""
    box = page.locator(".signature-canvas").bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
        page.mouse.up()


def test_drawing_fills_the_hidden_input_with_svg_offline(live_server, phone, screenshot):
    signature_page(live_server, phone)
    hidden = phone.locator("input[name=checker_svg]")
    assert hidden.input_value() == ""
    canvas = phone.locator(".signature-canvas").bounding_box()
    assert canvas["width"] >= 300 and canvas["height"] >= 150  # a finger-sized box
    phone.context.set_offline(True)
    draw(phone, [[(30, 40), (80, 90), (140, 60), (200, 110)], [(60, 130), (250, 120)]])
    phone.wait_for_function("() => document.querySelector('input[name=checker_svg]')"
                            ".value.length > 0")
    svg = hidden.input_value()
    assert svg.startswith("<svg") and svg.count("<path") >= 2
    assert ' d="M ' in svg
    assert "<path" in clean_svg(svg)  # the server keeps what the pad writes
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "signature-field-360")
    clear = phone.get_by_role("button", name="Clear signature")
    assert clear.bounding_box()["height"] >= 40
    clear.click()
    assert hidden.input_value() == ""
    phone.get_by_role("button", name="Save").click()  # required and empty: not sent
    expect(phone.locator(".signature-error")).to_have_text("Please sign in the box first.")
    assert phone.url.endswith("/__signature")
    assert phone.js_errors == []
