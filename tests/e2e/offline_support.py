"""Helpers for the offline browser tests: a phone with a real profile, fresh pick lists,
and the server's state read straight from the live server's database.

A plain module (not conftest.py) so test files can import from it by name.
"""
import json
import re
import time
import uuid
from contextlib import contextmanager

from playwright.sync_api import expect
from sqlalchemy import func, select

from webapp.catalog.blocks import unblocked
from webapp.catalog.models import Barcode, Location, Product, StockLevel, StockMovement
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.picking import allocation, waves
from webapp.picking.models import PickList, PickTask, Wave
from webapp.sync.models import ScanRecord

# As in tests/e2e/conftest.py (not imported: every conftest has the same module name).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEMO_PASSWORD = "demo"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


@contextmanager
def live_db(live_server):
    """A session on the live server's database, ended at once: on SQLite every
    transaction takes the write lock (BEGIN IMMEDIATE), so none may linger."""
    with live_server.app.app_context():
        try:
            yield db.session
        finally:
            db.session.rollback()
            db.session.remove()


def fresh_pick_list(live_server, monkeypatch, lines=((1, 2), (1, 1)), orders=2):
    """Plan a new pick list of `orders` orders, each with `lines` (count of SKUs, units);
    return its id. Only these orders are allocated: the demo's others stay as they were."""
    with live_db(live_server):
        skus = _stocked_skus(sum(n for n, _ in lines) * orders,
                             at_least=max(qty for _n, qty in lines))
        order_ids = []
        for _ in range(orders):
            chosen = [(skus.pop(), qty) for n, qty in lines for _ in range(n)]
            payload = {"channel": "shop", "order_no": f"OFF-{uuid.uuid4().hex[:10]}",
                       "carrier": "builtin",
                       "priority": 77, "address": {"name": "Li Lei", "phone": "13800000000",
                                                   "line1": "1 Renmin Rd", "city": "Hangzhou",
                                                   "province": "Zhejiang", "postcode": "310000"},
                       "lines": [{"sku": sku, "quantity": qty} for sku, qty in chosen]}
            result = intake(payload)
            assert result.outcome == "created", result.problems
            order_ids.append(result.order_id)
        db.session.commit()
        monkeypatch.setattr(waves, "allocate_pending", lambda **_kw: _allocate(order_ids))
        wave = Wave(params_json=json.dumps({"max_orders": orders, "max_lines": 50,
                                            "min_priority": 77}))
        db.session.add(wave)
        db.session.commit()
        waves.run_wave(wave)
        db.session.commit()
        list_id = db.session.scalar(select(PickTask.pick_list_id)
                                    .where(PickTask.order_id == order_ids[0]))
        assert list_id is not None, "the wave made no pick list"
        return list_id


def _allocate(order_ids):
    """Allocate only the given orders (what the wave's allocate_pending would do)."""
    outcome = {"allocated": 0, "short": 0}
    for order_id in order_ids:
        status = allocation.allocate_order(order_id)
        db.session.commit()
        outcome[status] = outcome.get(status, 0) + 1
    return outcome


def _stocked_skus(count, at_least=5):
    """SKUs with at least `at_least` free units in one storage location (a line of 24
    drawn on a SKU with 5 free went short and the wave made no list: a flaky CI run)."""
    rows = db.session.execute(
        select(Product.sku).join(StockLevel, StockLevel.product_id == Product.id)
        .join(Location, Location.id == StockLevel.location_id)
        .where(Location.type == "storage",
               StockLevel.quantity - StockLevel.reserved >= max(at_least, 5),
               unblocked(StockLevel.location_id, StockLevel.product_id))
        .group_by(Product.sku).order_by(func.random()).limit(count))
    skus = [r[0] for r in rows]
    assert len(skus) == count, "not enough stocked products left in the demo data"
    return skus


def walk_plan(live_server, list_id):
    """[(task_id, location code, product barcode, quantity), ...] in route order."""
    with live_db(live_server):
        tasks = db.session.scalars(select(PickTask).where(PickTask.pick_list_id == list_id)
                                   .order_by(PickTask.sequence)).all()
        return [(t.id, t.location.code, _first_barcode(t.product_id), t.quantity) for t in tasks]


def _first_barcode(product_id):
    """The product's first barcode."""
    return db.session.scalar(select(Barcode.code).where(Barcode.product_id == product_id)
                             .order_by(Barcode.id))


def codes_for(plan):
    """Every code a picker scans to walk the plan: location, then each unit."""
    return [code for _id, location, barcode, quantity in plan
            for code in [location] + [barcode] * quantity]


def server_state(live_server, list_id):
    """What the server holds for a list: its status, tasks, scans, stock moves, ledger check."""
    with live_db(live_server):
        pick_list = db.session.get(PickList, list_id)
        tasks = {t.id: (t.status, t.picked_qty, t.quantity) for t in pick_list.tasks}
        scans = db.session.execute(select(ScanRecord.scan_uuid, ScanRecord.status,
                                          ScanRecord.device_id, ScanRecord.reason)
                                   .where(ScanRecord.pick_list_id == list_id)
                                   .order_by(ScanRecord.seq)).all()
        moves = {task_id: db.session.execute(
                     select(StockMovement.quantity, StockMovement.reason)
                     .where(StockMovement.source == f"pick-task:{task_id}")).all()
                 for task_id in tasks}
        return {"status": pick_list.status, "tasks": tasks, "scans": [tuple(s) for s in scans],
                "moves": {k: [tuple(m) for m in v] for k, v in moves.items()},
                "mismatches": ledger_mismatches()}


def open_phone(browser, live_server, user_data_dir):
    """A persistent Chromium profile at phone size: service worker and IndexedDB as on a device."""
    context = browser.browser_type.launch_persistent_context(
        str(user_data_dir), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
        base_url=live_server.url, locale="en-US", service_workers="allow", **PHONE)
    context.set_default_timeout(15_000)
    return context


def track_errors(page):
    """Collect uncaught page errors on page.js_errors."""
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    return page


def sign_in(page, username="picker"):
    """Sign in with the demo password. Once in a fresh-clone run of the whole suite the
    page stayed on an empty sign-in form after the click (two tests of 1,437; both pass
    alone, cause not found): a second try then, so setup does not fail the test; the
    sign-in itself is tested in tests/accounts and tests/e2e/test_foundation.py."""
    for wait in (20_000, 40_000):
        page.goto("/login")
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("form.stack button").click()
        try:
            expect(page.locator("form[action$='/logout']")).to_be_attached(timeout=wait)
            return
        except AssertionError:
            if wait == 40_000:
                raise


def start_list(page, list_id):
    """Claim the list from My pick lists and land on its task screen, worker in control."""
    page.goto("/picking")
    page.locator(f"form[action$='/picking/lists/{list_id}/start'] button").click()
    expect(page).to_have_url(re.compile(rf"/picking/lists/{list_id}$"))
    wait_for_worker(page)


def wait_for_worker(page):
    """Wait until the service worker is active and controls the page (the shell is stored)."""
    # Polled from here, not with wait_for_function: its in-page poller once ran into the
    # page's CSP ("Evaluating a string as JavaScript violates ... 'unsafe-eval'").
    # 60 s: a failed install is tried again by the page (pwa.js), 2 s, 4 s, ... apart.
    # An active worker that has not claimed this page (the page's navigation began before
    # it activated; seen in a loaded fresh-clone run) controls it after a reload, as it
    # would after the person's next page: reload once, 10 s after the worker is active.
    started = time.monotonic()
    deadline, reloaded = started + 60, False
    while not page.evaluate("navigator.serviceWorker.controller !== null"):
        state = worker_state(page)
        assert time.monotonic() < deadline, "the service worker did not take control: " + state
        if not reloaded and "active=activated" in state and time.monotonic() > started + 10:
            page.reload()
            reloaded = True
        time.sleep(0.2)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")


def worker_state(page):
    """The registration's workers and their states, for a failure message."""
    return page.evaluate("""navigator.serviceWorker.getRegistration().then((reg) => !reg ? "no registration"
        : ["installing", "waiting", "active"].map((k) => k + "=" + (reg[k] ? reg[k].state : "-")).join(" "))""")


def take_offline(page):
    """Press Take offline and wait until the list is on the device."""
    page.locator("#take-offline").click()
    expect(page.locator("#offline-state")).to_contain_text("On this device")
    expect(page.locator("#pick-task[data-offline='1']")).to_be_attached()


def scan(page, code):
    """A wedge scanner: keys 5 ms apart, then Enter."""
    page.locator("#scan").focus()
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def waiting(page):
    """The header's count of scans waiting on this device."""
    return page.locator("#sync-waiting")


def outbox(page):
    """The outbox entries (IndexedDB) as the page sees them."""
    return page.evaluate("Outbox.entries()")


def wait_until_recorded(page, count):
    """Wait until the device has kept `count` scans (in the outbox or already sent)."""
    wait_until_true(page, f"Outbox.getMeta('nextSeq').then(n => (n || 1) - 1 >= {count})")


def wait_until_true(page, expression, seconds=15):
    """Poll an expression that gives a Promise until it resolves to a true value.

    Not page.wait_for_function: a Promise is an object, so it counts as true at once."""
    value = None
    for _ in range(seconds * 20):
        value = page.evaluate(expression)
        if value is True:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still {value!r} after {seconds} s: {expression}")


# A wedge scanner's burst typed into #scan by the page itself, and a reload `reloadMs`
# after the last Enter: page.evaluate(SCANNER_BURST, [codes, reloadMs]).
SCANNER_BURST = """async ([codes, reloadMs]) => {
  const field = document.querySelector("#scan");
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const key = (name) => field.dispatchEvent(
    new KeyboardEvent("keydown", {key: name, bubbles: true, cancelable: true}));
  for (const [i, code] of codes.entries()) {
    for (const ch of code) { field.value += ch; key(ch); await sleep(5); }
    key("Enter");
    if (i === codes.length - 1) setTimeout(() => location.reload(), reloadMs);
    else await sleep(50);
  }
}"""
