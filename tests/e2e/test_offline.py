"""Offline picking in a real Chromium with a real profile (service worker, IndexedDB),
at phone size, against the live server: scans kept on the device, judged there, sent
when the network returns, and applied on the server exactly once."""
import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import (SCANNER_BURST, codes_for, fresh_pick_list, live_db, outbox, scan,
                              server_state, sign_in, start_list, take_offline, track_errors,
                              wait_for_worker, wait_until_recorded, wait_until_true, waiting,
                              walk_plan)
from webapp.catalog.models import Barcode, Product
from webapp.extensions import db
from webapp.picking.models import PickTask

SYNC_TIMEOUT = 90_000  # the backoff tops out at 60 s between tries


@pytest.fixture
def server(live_server):
    """The live server, running again after the test whatever happened."""
    yield live_server
    live_server.start()


def first_page(context):
    """The profile's first tab, with page errors collected."""
    return track_errors(context.pages[0] if context.pages else context.new_page())


def list_on_device(device, server, monkeypatch, **plan):
    """A fresh pick list, started by the picker and taken offline on the phone:
    (list id, its walk plan, the page on its task screen)."""
    list_id = fresh_pick_list(server, monkeypatch, **plan)
    page = first_page(device)
    sign_in(page)
    start_list(page, list_id)
    take_offline(page)
    return list_id, walk_plan(server, list_id), page


def assert_applied_once(state, uuids):
    """Every scan the device made is stored once and applied; the list is done, stock moved once."""
    stored = [s[0] for s in state["scans"]]
    assert sorted(stored) == sorted(uuids) and len(set(stored)) == len(stored)
    assert {s[1] for s in state["scans"]} == {"applied"}, state["scans"]
    assert state["status"] == "done"
    for task_id, (status, picked, quantity) in state["tasks"].items():
        assert (status, picked) == ("done", quantity)
        assert state["moves"][task_id] == [(quantity, "pick")]
    assert state["mismatches"] == []


def pick_offline(page, plan):
    """Scan the whole plan with the device offline; return the scans' uuids."""
    for code in codes_for(plan):
        scan(page, code)
    expect(page.locator("[data-list-done]")).to_be_visible()
    wait_until_recorded(page, len(codes_for(plan)))
    return [entry["id"] for entry in outbox(page)]


# ---------------------------------------------------------------- the whole walk offline
def test_a_list_picked_offline_survives_a_reload_and_syncs_once(device, server, monkeypatch,
                                                                 screenshot):
    list_id = fresh_pick_list(server, monkeypatch)
    plan = walk_plan(server, list_id)
    codes = codes_for(plan)
    page = first_page(device)
    sign_in(page)
    start_list(page, list_id)
    take_offline(page)
    expect(waiting(page)).to_have_text("0 waiting")

    device.set_offline(True)
    expect(page.locator("#sync-status")).to_contain_text("Offline")
    # A wrong location first: refused loudly on the device, kept, sent later all the same.
    other_location = plan[1][1]
    scan(page, other_location)
    verdict = page.locator("#pick-task [data-feedback]")
    expect(verdict).to_have_attribute("data-feedback", "bad")
    expect(verdict).to_have_text(f"Wrong location {other_location}. Go to {plan[0][1]}.")
    expect(page.locator("body")).to_have_class(re.compile(r"\bflash-bad\b"))
    half = 1 + plan[0][3]  # the first task: its location and every unit
    for code in codes[:half]:
        scan(page, code)
    expect(verdict).to_have_attribute("data-feedback", "ok")
    expect(page.locator("#pick-task .loc")).to_have_text(plan[1][1])
    expect(waiting(page)).to_have_text(f"{half + 1} waiting")
    screenshot(page, "offline-picking-waiting")

    page.reload()  # no network: the service worker serves the shell, IndexedDB the rest
    expect(page.locator("#pick-task .loc")).to_have_text(plan[1][1])
    expect(waiting(page)).to_have_text(f"{half + 1} waiting")
    expect(page.locator("#sync-status")).to_contain_text("Offline")
    for code in codes[half:]:
        scan(page, code)
    expect(page.locator("[data-list-done]")).to_be_visible()
    expect(waiting(page)).to_have_text(f"{len(codes) + 1} waiting")
    uuids = [entry["id"] for entry in outbox(page)]
    assert len(uuids) == len(codes) + 1
    assert server_state(server, list_id)["scans"] == []  # nothing reached the server yet

    device.set_offline(False)
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    expect(page.locator("#sync-status")).to_contain_text("Online")
    state = server_state(server, list_id)
    wrong = [s for s in state["scans"] if s[1] == "rejected"]
    assert len(wrong) == 1 and "Wrong location" in wrong[0][3]
    state["scans"] = [s for s in state["scans"] if s[1] != "rejected"]
    assert_applied_once(state, [u for u in uuids if u != wrong[0][0]])
    assert outbox(page) == []  # the server's refusal of a scan the device refused too: done
    assert page.js_errors == []


# ---------------------------------------------------------------- store first
# A scanner types at its own pace whatever the handheld's CPU is doing (Playwright's
# keyboard waits until the page took each key, so it cannot be that scanner): keys 5 ms
# apart, Enter, 50 ms to the next label; the page reloads `reload_ms` after the last Enter
# (offline_support.SCANNER_BURST).


def test_a_reload_50_ms_after_a_wedge_burst_loses_no_scan(device, server, monkeypatch):
    """A burst of labels on a slow handheld, and the page reloads 50 ms after the last
    Enter: every scan was kept on the device, in order, judged there, and syncs once."""
    list_id, plan, page = list_on_device(device, server, monkeypatch)
    codes = codes_for(plan)
    device.set_offline(True)
    cdp = device.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 10})  # a busy handheld
    with page.expect_event("load", timeout=60_000):
        page.evaluate(SCANNER_BURST, [codes, 50])
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    expect(page.locator("#pick-task[data-offline='1']")).to_be_attached()  # after the recovery
    kept = outbox(page)
    assert [entry["code"] for entry in kept] == codes
    assert [entry["seq"] for entry in kept] == list(range(1, len(codes) + 1))
    expect(page.locator("[data-list-done]")).to_be_visible()  # each judged on the device
    expect(waiting(page)).to_have_text(f"{len(codes)} waiting")
    assert page.evaluate("localStorage.length") == 0  # the journal let go of each

    device.set_offline(False)
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    assert_applied_once(server_state(server, list_id), [entry["id"] for entry in kept])
    assert page.js_errors == []


def online_walk(page, plan):
    """Scan every code of the plan with the network up; wait until each is kept."""
    codes = codes_for(plan)
    for code in codes:
        scan(page, code)
    wait_until_recorded(page, len(codes))
    return codes


def camera_scan(page, code):
    """What static/js/camera.js does with a code it read: an event on the [data-scan] field."""
    page.evaluate("""code => document.querySelector("[data-scan]").dispatchEvent(
        new CustomEvent("warehouse:scan", {detail: {code, source: "camera"}}))""", code)


def wait_for(page, condition, seconds=30):
    """Let the browser run until condition() (Python side) holds."""
    for _ in range(seconds * 10):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("condition not met in time")


# ---------------------------------------------------------------- the server goes away
def test_scans_survive_the_server_dying_mid_sync_and_apply_once_after(device, server, monkeypatch):
    list_id, plan, page = list_on_device(device, server, monkeypatch)
    device.set_offline(True)
    uuids = pick_offline(page, plan)
    count = len(uuids)

    posts = []

    def die_after_applying(route):
        posts.append(route.request.post_data_json)
        if len(posts) == 1:
            route.fetch()    # the server applies the batch...
            server.stop()    # ...and dies before its answer gets back
            route.abort("connectionreset")
        else:
            route.continue_()
    device.route("**/api/v1/scans", die_after_applying)
    device.set_offline(False)
    wait_for(page, lambda: len(posts) >= 2)  # retried while the server is down
    expect(waiting(page)).to_have_text(f"{count} waiting")
    assert len(server_state(server, list_id)["scans"]) == count  # applied, unanswered

    page.reload()  # the server is down: the shell comes from the worker's cache
    expect(page.locator("[data-list-done]")).to_be_visible()
    expect(waiting(page)).to_have_text(f"{count} waiting")

    server.start()
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    assert_applied_once(server_state(server, list_id), uuids)
    assert {scan["id"] for scan in posts[0]["scans"]} == set(uuids)
    assert posts[-1]["device_id"] is None  # no device token: the session sent them


def test_background_sync_sends_the_scans_with_every_tab_closed(device, server, monkeypatch):
    """The browser wakes the service worker when the network is back ("sync-scans"),
    with no page of the app open; the worker sends the outbox on its own."""
    list_id, plan, page = list_on_device(device, server, monkeypatch, orders=1, lines=((1, 2),))
    device.set_offline(True)
    uuids = pick_offline(page, plan)
    wait_until_true(page, "navigator.serviceWorker.ready.then(r => r.sync.getTags())"
                          ".then(t => t.includes('sync-scans'))")
    origin = page.evaluate("location.origin")
    blank = device.new_page()  # no page of the app: nothing but the worker can send now
    page.close()
    blank.goto("about:blank")
    device.set_offline(False)
    assert server_state(server, list_id)["scans"] == []

    cdp = device.new_cdp_session(blank)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    wait_for(blank, lambda: any(r["scopeURL"] == origin + "/" for r in registrations))
    registration = next(r for r in registrations if r["scopeURL"] == origin + "/")
    # What Chromium does when connectivity returns: fire the registered sync event.
    cdp.send("ServiceWorker.dispatchSyncEvent", {
        "origin": origin, "registrationId": registration["registrationId"],
        "tag": "sync-scans", "lastChance": False})
    wait_for(blank, lambda: len(server_state(server, list_id)["scans"]) == len(uuids), seconds=60)
    assert_applied_once(server_state(server, list_id), uuids)


def test_a_sync_answered_500_is_retried_and_applied_once(device, server, monkeypatch):
    list_id, plan, page = list_on_device(device, server, monkeypatch, orders=1, lines=((1, 2),))

    answers, sent = [], []

    def fail_once(route):
        sent.extend(scan["id"] for scan in route.request.post_data_json["scans"])
        if not answers:
            answers.append(500)
            route.fulfill(status=500, json={"error": "boom", "status": 500})
        else:
            response = route.fetch()
            answers.append(response.status)
            route.fulfill(response=response)
    device.route("**/api/v1/scans", fail_once)
    codes = online_walk(page, plan)
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    assert answers[0] == 500 and set(answers[1:]) == {200}
    uuids = sorted(set(sent))
    assert len(uuids) == len(codes)
    assert_applied_once(server_state(server, list_id), uuids)
    assert page.js_errors == []


# ---------------------------------------------------------------- two tabs
def test_two_tabs_on_one_list_apply_each_scan_once(device, server, monkeypatch):
    list_id = fresh_pick_list(server, monkeypatch)
    plan = walk_plan(server, list_id)
    first = first_page(device)
    sign_in(first)
    start_list(first, list_id)
    take_offline(first)
    second = track_errors(device.new_page())
    second.goto(f"/picking/lists/{list_id}")
    expect(second.locator("#pick-task[data-offline='1']")).to_be_attached()

    codes = codes_for(plan)
    for number, code in enumerate(codes, start=1):
        page = (first, second)[number % 2]
        page.bring_to_front()
        scan(page, code)
        wait_until_recorded(page, number)
    for page in (first, second):  # each tab shows the list as both tabs left it
        expect(page.locator("[data-list-done]")).to_be_visible()
        expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    state = server_state(server, list_id)
    assert len(state["scans"]) == len(codes)
    assert_applied_once(state, [s[0] for s in state["scans"]])
    assert first.js_errors == [] and second.js_errors == []


# ---------------------------------------------------------------- the session expires
def register_device(server):
    """A registered device; returns (id, token)."""
    from webapp.accounts.services import register_device as register
    with live_db(server) as session:
        device, token = register(f"HH-{uuid.uuid4().hex[:6]}")
        session.commit()
        return device.id, token


def test_a_device_token_sends_the_scans_after_the_session_expired(device, server, monkeypatch):
    device_id, token = register_device(server)
    list_id = fresh_pick_list(server, monkeypatch)
    plan = walk_plan(server, list_id)
    page = first_page(device)
    sign_in(page)
    page.goto(f"/device#token={token}")  # what the admin's "Set up this browser" link opens
    expect(page.locator("#device-state")).to_contain_text(f"(device {device_id})")
    assert "token" not in page.url  # the token does not stay in the address or history
    start_list(page, list_id)
    take_offline(page)
    device.set_offline(True)
    uuids = pick_offline(page, plan)

    device.clear_cookies()  # the session is gone while the picker is in the aisle
    device.set_offline(False)
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    state = server_state(server, list_id)
    assert_applied_once(state, uuids)
    assert {s[2] for s in state["scans"]} == {device_id}
    assert page.js_errors == []


def signed_in_on(server, device_id):
    """The usernames the server has recorded as signed in on a device."""
    from sqlalchemy import select

    from webapp.accounts.models import DeviceSignIn, User
    with live_db(server) as session:
        return set(session.scalars(select(User.username).join(
            DeviceSignIn, DeviceSignIn.user_id == User.id).where(
            DeviceSignIn.device_id == device_id)))


def wait_for_sign_ins(server, device_id, expected, seconds=15):
    """Wait until the server holds exactly these sign-ins (the page tells it by itself)."""
    import time
    deadline = time.monotonic() + seconds
    while signed_in_on(server, device_id) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert signed_in_on(server, device_id) == expected


def test_each_sign_in_on_a_device_is_recorded_by_the_server(device, server):
    """Whoever sets the device up is recorded at once; whoever signs in on it later is
    recorded by the first page after the sign-in, before any scan is sent."""
    device_id, token = register_device(server)
    page = first_page(device)
    sign_in(page, "supervisor")
    page.goto(f"/device#token={token}")
    expect(page.locator("#device-state")).to_contain_text(f"(device {device_id})")
    page.wait_for_function("() => document.getElementById('device-state').textContent"
                           ".includes('Saved')")
    wait_for_sign_ins(server, device_id, {"supervisor"})
    page.locator("form[action$='/logout'] button").click()
    sign_in(page, "packer")
    wait_for_sign_ins(server, device_id, {"supervisor", "packer"})
    assert page.js_errors == []


def test_without_a_token_scans_wait_for_a_new_sign_in(device, server, monkeypatch):
    list_id, plan, page = list_on_device(device, server, monkeypatch, orders=1, lines=((1, 1),))
    device.set_offline(True)
    uuids = pick_offline(page, plan)
    device.clear_cookies()
    device.set_offline(False)
    expect(page.locator("#sync-alert")).to_contain_text("Sign in again")
    expect(waiting(page)).to_have_text(f"{len(uuids)} waiting")
    assert server_state(server, list_id)["scans"] == []

    sign_in(page)  # a new session: the waiting scans go with it
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    expect(page.locator("#sync-alert")).to_be_hidden()
    assert_applied_once(server_state(server, list_id), uuids)


def test_a_device_token_the_server_does_not_know_keeps_the_scans(device, server, monkeypatch):
    list_id = fresh_pick_list(server, monkeypatch, orders=1, lines=((1, 1),))
    plan = walk_plan(server, list_id)
    page = first_page(device)
    sign_in(page)
    page.goto("/device")
    page.locator("#device-token").fill("not-a-real-token")
    page.locator("#device-form button").click()
    expect(page.locator("#device-state")).to_have_text("Device not recognised — ask a supervisor.")
    start_list(page, list_id)
    take_offline(page)
    codes = online_walk(page, plan)
    expect(page.locator("#sync-alert")).to_have_text("Device not recognised — ask a supervisor.")
    expect(waiting(page)).to_have_text(f"{len(codes)} waiting")
    assert server_state(server, list_id)["scans"] == []


# ---------------------------------------------------------------- installable
def test_the_scanning_screen_is_installable(device, server, monkeypatch):
    list_id = fresh_pick_list(server, monkeypatch, orders=1, lines=((1, 1),))
    page = first_page(device)
    sign_in(page)
    start_list(page, list_id)
    cdp = device.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [] and manifest["url"].endswith("/static/manifest.webmanifest")
    for icon in ("icon-192.png", "icon-512.png", "icon-maskable-512.png"):
        response = page.request.get(f"/static/icons/{icon}")
        assert response.ok and response.body()[:8] == b"\x89PNG\r\n\x1a\n"
    worker = page.request.get("/sw.js")
    assert worker.headers["service-worker-allowed"] == "/"
    assert worker.headers["cache-control"] == "no-cache"


# ---------------------------------------------------------------- a new version
@pytest.fixture
def new_version(server):
    """set(v): restart the server as app version v; the old version comes back after."""
    def deploy(version):
        server.stop()
        server.env["ASSET_VERSION"] = version
        server.start()
    yield deploy
    if server.env.pop("ASSET_VERSION", None):
        server.stop()
        server.start()


def worker_state(page):
    """{waiting, controller} of the page's service worker registration."""
    return page.evaluate("""navigator.serviceWorker.getRegistration().then(reg => ({
        waiting: !!reg.waiting, controller: !!navigator.serviceWorker.controller}))""")


def test_the_worker_never_takes_over_by_itself(device, server, new_version):
    """A new version installs and waits, through navigations, until a person asks for it."""
    page = first_page(device)
    sign_in(page)
    page.goto("/picking")
    wait_for_worker(page)
    new_version("e2e-idle")
    page.evaluate("navigator.serviceWorker.getRegistration().then(reg => reg.update())")
    banner = page.locator("#update-banner")
    expect(banner).to_be_visible(timeout=20_000)
    for path in ("/", "/picking"):  # pages come and go; the old version stays in charge
        page.goto(path)
        expect(banner).to_be_visible()
        assert worker_state(page) == {"waiting": True, "controller": True}
    assert "warehouse-e2e-idle" in page.evaluate("caches.keys()")  # stored, not in use

    with page.expect_event("load"):  # asked for, and nothing waits: it takes over
        page.locator("#update-reload").click()
    assert worker_state(page) == {"waiting": False, "controller": True}
    assert page.evaluate("caches.keys()") == ["warehouse-e2e-idle"]


def test_a_new_version_waits_until_the_outbox_is_empty(device, server, monkeypatch, new_version):
    list_id, plan, page = list_on_device(device, server, monkeypatch, orders=1, lines=((1, 1),))
    device.route("**/api/v1/scans", lambda route: route.fulfill(status=503, json={"error": "busy"}))
    codes = online_walk(page, plan)
    expect(waiting(page)).to_have_text(f"{len(codes)} waiting")

    new_version("e2e-next")
    page.evaluate("navigator.serviceWorker.getRegistration().then(reg => reg.update())")
    banner = page.locator("#update-banner")
    expect(banner).to_be_visible(timeout=20_000)
    expect(banner).to_contain_text("A new version is ready.")
    assert worker_state(page) == {"waiting": True, "controller": True}  # installed, not in charge

    page.locator("#update-reload").click()  # scans wait: the new version must not take over
    expect(banner).to_contain_text(f"Sending {len(codes)} waiting scans first")
    page.wait_for_timeout(1500)
    assert worker_state(page)["waiting"] is True

    with page.expect_event("load", timeout=SYNC_TIMEOUT):  # drained, switched, reloaded
        device.unroute("**/api/v1/scans")
    expect(waiting(page)).to_have_text("0 waiting")
    assert worker_state(page) == {"waiting": False, "controller": True}
    assert page.evaluate("caches.keys()") == ["warehouse-e2e-next"]
    state = server_state(server, list_id)
    assert_applied_once(state, [s[0] for s in state["scans"]])


# ---------------------------------------------------------------- around the walk
def test_offline_any_page_opens_the_shell_with_the_lists_on_the_device(device, server, monkeypatch):
    list_id, plan, page = list_on_device(device, server, monkeypatch, orders=1, lines=((1, 1),))
    device.set_offline(True)
    page.goto("/")  # home needs the server: the worker answers with the shell instead
    link = page.locator(f"#offline-lists a[href$='?list={list_id}']")
    expect(link).to_have_text(f"List #{list_id}: 0 of 1 tasks done")
    link.click()
    expect(page.locator("#pick-task .loc")).to_have_text(plan[0][1])
    camera_scan(page, plan[0][1])
    verdict = page.locator("#pick-task [data-feedback]")
    expect(verdict).to_have_text(f"Location {plan[0][1]} confirmed.")
    expect(waiting(page)).to_have_text("1 waiting")
    device.set_offline(False)
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    assert page.js_errors == []


def test_a_short_pick_on_the_offline_screen_goes_to_the_server(device, server, monkeypatch):
    list_id, plan, page = list_on_device(device, server, monkeypatch, orders=1, lines=((2, 1),))
    camera_scan(page, plan[0][1])  # the camera's codes reach the device's judge too
    expect(page.locator("#pick-task .loc.confirmed")).to_have_text(plan[0][1])
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    page.locator("details.short summary").click()
    page.locator("details.short button[data-reason='damaged']").click()
    # Confirm or undo first: nothing goes to the server on the first tap (issue 9).
    expect(page.locator("details.short .confirm-step")).to_be_visible()
    page.locator("details.short [data-step-undo]").click()
    expect(page.locator("details.short .confirm-step")).to_be_hidden()
    assert server_state(server, list_id)["tasks"][plan[0][0]][0] == "pending"
    page.locator("details.short button[data-reason='damaged']").click()
    page.locator("details.short [data-step-confirm]").click()
    expect(page.locator("#pick-task [data-feedback]")).to_contain_text("Short pick recorded.")
    expect(page.locator("#pick-task .loc")).to_have_text(plan[1][1])  # the server's view, reloaded
    state = server_state(server, list_id)
    assert state["tasks"][plan[0][0]][0] == "short"
    on_device = page.evaluate(f"Outbox.getList({list_id}).then(l => l.tasks)")
    assert next(t["status"] for t in on_device if t["task_id"] == plan[0][0]) == "short"


def test_offline_another_products_code_is_a_wrong_item_as_online(device, server, monkeypatch):
    """Issue 10: the device holds the catalogue's codes (in the outbox's meta, once), so a
    product not on the list is "Wrong item", not "Unknown barcode"; a malformed code gets
    its reason (issue 9), as online. After an offline reload too."""
    list_id, plan, page = list_on_device(device, server, monkeypatch, orders=1, lines=((1, 1),))
    with live_db(server):
        task = db.session.get(PickTask, plan[0][0])
        sku, name = task.product.sku, task.product.name
        stranger = db.session.scalar(select(Barcode.code).join(Product).where(
            Product.id != task.product_id).order_by(Barcode.id).limit(1))
    device.set_offline(True)
    verdict = page.locator("#pick-task [data-feedback]")
    for attempt in range(2):
        scan(page, stranger)
        expect(verdict).to_have_text(f"Wrong item. Pick {sku} — {name}.")
        scan(page, "]C10109506000134353")
        expect(verdict).to_have_text("GS1 AI 01 (GTIN): the check digit of 09506000134353 is "
                                     "wrong (expected 2).")
        if attempt == 0:
            page.reload()  # offline: the shell from the service worker, the codes from meta
            expect(page.locator("#pick-task .loc")).to_have_text(plan[0][1])
    device.set_offline(False)
    expect(waiting(page)).to_have_text("0 waiting", timeout=SYNC_TIMEOUT)
    reasons = [s[3] for s in server_state(server, list_id)["scans"]]
    assert len(reasons) == 4 and all("refused on the device" in r for r in reasons), reasons
    assert page.js_errors == []
