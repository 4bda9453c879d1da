"""A handheld whose service-worker install failed (one file of the shell could not be
fetched: Wi-Fi dropped, the server restarting) gets a working offline shell without
anyone opening another page: pwa.js tries the install again, spaced."""
import time

from offline_support import sign_in, track_errors, wait_for_worker, worker_state


def test_a_failed_install_is_tried_again_on_the_same_page(device):
    blocked_until = [float("inf")]
    failed = []

    def drop_while_blocked(route):
        # A shell page only the service worker fetches (it precaches every shell): while
        # "the Wi-Fi is down" each install fails (a proxy answers 503 while the server restarts).
        if time.monotonic() < blocked_until[0]:
            failed.append(route.request.url)
            route.fulfill(status=503, body="restarting")
        else:
            route.continue_()

    device.route("**/offline/packing", drop_while_blocked)
    page = track_errors(device.pages[0] if device.pages else device.new_page())
    sign_in(page, "picker")
    page.goto("/picking")
    # The install this page started fails too; then the network comes back. No page is
    # opened after this: only the page's own retry can install the worker now.
    page.wait_for_timeout(3000)  # (not time.sleep: routes are served only inside Playwright calls)
    blocked_until[0] = time.monotonic()
    assert failed, "no install was tried while the network was down"
    assert page.evaluate("navigator.serviceWorker.controller === null")
    wait_for_worker(page)
    assert "active=activated" in worker_state(page)
    assert page.js_errors == []
