"""The supervisor's console in Chromium at 360x740 and 1280x800: a picker's scans move
the live floor without a reload (and nothing is asked for while the tab is hidden), a
list is reassigned, a failed job is retried through the real worker, the KPI charts
render with their tables and export CSV."""
import csv
import os

from playwright.sync_api import expect

from offline_support import fresh_pick_list, live_db, scan, sign_in, start_list, walk_plan
from webapp.accounts.services import create_user
from webapp.extensions import db
from webapp.queues import queue

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
HIDE = """() => { Object.defineProperty(document, "visibilityState",
  {configurable: true, get: () => "hidden"});
  document.dispatchEvent(new Event("visibilitychange")); return true; }"""
SHOW = """() => { Object.defineProperty(document, "visibilityState",
  {configurable: true, get: () => "visible"});
  document.dispatchEvent(new Event("visibilitychange")); return true; }"""


def in_progress(page):
    """The picking tile's count of lists being picked."""
    return int(page.locator("#tile-picking [data-in-progress]").get_attribute("data-in-progress"))


def test_live_floor_follows_a_picker_and_sleeps_while_hidden(new_phone, live_server, monkeypatch,
                                                             screenshot):
    list_id = fresh_pick_list(live_server, monkeypatch, lines=((2, 1),), orders=1)
    supervisor = new_phone()
    sign_in(supervisor, "supervisor")
    expect(supervisor.locator("#tile-picking")).to_be_visible()
    before = in_progress(supervisor)
    supervisor.evaluate("""() => { window.notReloaded = true; window.sent = 0;
      document.addEventListener("htmx:beforeSend", () => { window.sent += 1; }); return true; }""")
    polls = []
    supervisor.on("request", lambda r: polls.append(r.url) if "/console/tiles/" in r.url else None)
    supervisor.evaluate(HIDE)
    # A polling period (15 s) and more with the tab hidden: no request. (wait_for_timeout,
    # not time.sleep: Playwright hands over the page's events only while it is called.)
    supervisor.wait_for_timeout(17_000)
    assert polls == [] and supervisor.evaluate("() => window.sent") == 0

    picker = new_phone()
    sign_in(picker, "picker")
    start_list(picker, list_id)
    _task, location, barcode, _qty = walk_plan(live_server, list_id)[0]
    scan(picker, location)
    scan(picker, barcode)
    expect(picker.locator(".progress-text")).to_contain_text("1")

    supervisor.evaluate(SHOW)  # shown again: every tile refreshes at once
    row = supervisor.locator(f"#tile-picking tr[data-list='{list_id}']")
    expect(row).to_contain_text("Demo picker")
    expect(row.locator("[data-progress]")).to_have_attribute("data-progress", "1/2")
    assert in_progress(supervisor) == before + 1
    assert polls and supervisor.evaluate("() => window.notReloaded === true")
    assert supervisor.js_errors == []
    screenshot(supervisor, "console-floor-360")


def test_reassign_a_list(new_phone, live_server, monkeypatch, screenshot):
    list_id = fresh_pick_list(live_server, monkeypatch, lines=((1, 1),), orders=1)
    with live_db(live_server):
        create_user(f"wang{list_id}", "pw-123456", ["picker"], display_name=f"Wang {list_id}")
        db.session.commit()
    page = new_phone(**DESKTOP, is_mobile=False, has_touch=False, device_scale_factor=1)
    sign_in(page, "supervisor")
    page.goto("/console/picklists")
    row = page.locator(f"#picklist-{list_id}")
    row.locator("select[name=picker_id]").select_option(label=f"Wang {list_id}")
    row.locator("form:has(select) button").click()
    expect(page.locator(f"#picklist-{list_id} [data-picker]")).to_have_attribute(
        "data-picker", f"wang{list_id}")
    expect(page.locator(f"#picklist-{list_id}")).to_contain_text("Saved.")
    screenshot(page, "console-picklists-1280")


def test_failed_job_is_retried_through_the_real_worker(new_phone, live_server, run_worker,
                                                       tmp_path, screenshot):
    folder = tmp_path / "later"
    with live_server.app.app_context():
        job = queue("default").enqueue("os.rmdir", str(folder))
    run_worker(live_server.db_url, "default")
    page = new_phone(**DESKTOP, is_mobile=False, has_touch=False, device_scale_factor=1)
    sign_in(page, "supervisor")
    page.goto("/console/queues")
    card = page.locator(f"[data-job='{job.id}']")
    expect(card).to_contain_text("os.rmdir")
    expect(card).to_contain_text("FileNotFoundError")
    screenshot(page, "console-queues-1280")
    folder.mkdir()
    card.locator("button", has_text="Retry").click()
    expect(page.locator("#queues")).to_contain_text("Job queued again.")
    expect(page.locator(f"[data-job='{job.id}']")).to_have_count(0)
    run_worker(live_server.db_url, "default")
    assert not folder.exists()


def test_kpis_render_and_export(new_phone, live_server, screenshot, tmp_path):
    for options in ({}, {**DESKTOP, "is_mobile": False, "has_touch": False,
                         "device_scale_factor": 1}):
        page = new_phone(**options)
        sign_in(page, "supervisor")
        page.goto("/console/kpis?period=30d")
        stock = page.locator("#kpi-stock_watch")
        expect(stock.locator("svg[role=img]")).to_be_visible()
        expect(stock.locator("table tbody tr").first).to_be_visible()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], "the page scrolls sideways"
        screenshot(page, f"console-kpis-{page.viewport_size['width']}")
    with page.expect_download() as download:
        stock.locator("a", has_text="Export CSV").click()
    path = tmp_path / "stock.csv"
    download.value.save_as(path)
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["SKU", "Product", "Available", "Reorder point", "State"]
    shown = stock.locator("table tbody tr").count()
    assert len(rows) - 1 == shown and os.path.getsize(path) > 0


def test_reorder_point_set_on_a_phone_moves_the_stock_watch(new_phone, live_server):
    """The next step after reading the stock watch: the supervisor opens the reorder
    points from it, raises a product's point above its stock on a phone, and the stock
    watch lists the product as low against the new point."""
    from sqlalchemy import select
    from webapp.catalog.models import Product
    from webapp.supervision.kpis import stock_watch
    with live_db(live_server):
        watched = {row[0] for row in stock_watch(limit=10_000).rows}
        sku = db.session.scalars(select(Product.sku).where(Product.active.is_(True))
                                 .order_by(Product.sku)).all()
        sku = next(s for s in sku if s not in watched)  # a product with enough stock
    page = new_phone()
    sign_in(page, "supervisor")
    page.goto("/console/kpis?period=today")
    page.locator("#kpi-stock_watch a", has_text="Set reorder points").click()
    page.locator("input[name=q]").fill(sku)
    page.locator("button", has_text="Find").click()
    row = page.locator(f"li[data-sku='{sku}']")
    available = int(row.locator("[data-available]").get_attribute("data-available"))
    row.locator("input[name=reorder_point]").fill("2000000")  # past the bound: refused
    row.locator("button", has_text="Save").click()
    expect(page.locator(f"li[data-sku='{sku}'] [role=alert]")).to_be_visible(timeout=15_000)
    expect(page.locator(f"li[data-sku='{sku}'] input[name=reorder_point]")).to_have_value(
        "2000000")  # what was typed, kept
    row = page.locator(f"li[data-sku='{sku}']")
    row.locator("input[name=reorder_point]").fill(str(available + 5))
    row.locator("input[name=reorder_qty]").fill("50")
    row.locator("button", has_text="Save").click()
    row = page.locator(f"li[data-sku='{sku}']")
    expect(row.locator("[data-point]")).to_have_attribute("data-point", str(available + 5),
                                                          timeout=15_000)
    expect(row.locator("[role=status]")).to_have_text("Saved.")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], "the page scrolls sideways"
    page.goto("/console/kpis?period=today")
    expect(page.locator("#kpi-stock_watch table")).to_contain_text(sku, timeout=15_000)
