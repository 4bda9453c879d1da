"""Browser tests: a real app served over HTTP, a real Chromium driven by Playwright.

The live server is gunicorn in a subprocess, configured by environment like
production (CSRF on, DEMO_MODE on) on its own SQLite file, seeded once with the
demo warehouse. It runs in a subprocess so that a test can stop it and start it
again on the same port with the same database (offline behaviour).

Screenshots go to a temporary folder; set E2E_SCREENSHOTS=1 to write them to
docs/screenshots/ instead (they are checked in there for review).
"""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from real_parts import in_ci, missing

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HERE = Path(__file__).resolve().parent
TRANSLATIONS = ROOT / "webapp" / "translations"
SCREENSHOTS = ROOT / "docs" / "screenshots"
DEMO_PASSWORD = "demo"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


def _missing_browser():
    """Why the browser tests cannot run here, or None when they can."""
    if not os.path.exists(CHROMIUM):
        return (f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium'; "
                "tests/ensure_services.py installs it as root): the browser tests cannot run")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed: the browser tests cannot run"
    return None


def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder e2e; with no browser skip them all, or in CI have
    each fail first thing (a session fixture ahead of the others)."""
    reason = _missing_browser()
    for item in items:
        if HERE in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if reason and not in_ci():
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def _browser_required():
    """In CI, fail every browser test first thing, saying what is missing."""
    reason = _missing_browser()
    if reason:
        missing(reason)


# ---------------------------------------------------------------- the server
def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The app served by gunicorn on 127.0.0.1:port; stop() and start() keep port and data."""

    def __init__(self, env, port, log_path):
        self.env, self.port, self.log_path = env, port, log_path
        self.url = f"http://127.0.0.1:{port}"
        self.db_url = env["DATABASE_URL"]
        self.process = None

    @property
    def running(self):
        """True while the server process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self):
        """Start serving and return once the app answers."""
        if self.running:
            return
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--threads", "8", "--graceful-timeout", "2", "--no-control-socket",
             "webapp:create_app()"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait_until_answering()

    def stop(self):
        """Stop serving; the port then refuses connections like a dead network."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def _wait_until_answering(self, seconds=30):
        """Poll /healthz until any HTTP answer comes back (503 counts: it is serving)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the live server exited:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the live server did not answer:\n{self.log_tail()}")

    def log_tail(self, chars=3000):
        """The end of gunicorn's log, for failure messages."""
        return self.log_path.read_text(errors="replace")[-chars:]


def _compile_catalogs():
    """Compile each .po that has no .mo, or an older one (`make install` does this too)."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            pybabel = Path(sys.executable).parent / "pybabel"
            subprocess.run([str(pybabel), "compile", "-d", str(TRANSLATIONS)], cwd=ROOT,
                           check=True, capture_output=True)
            return


def _seed(factory, db_url):
    """Migrate the live server's database and load the demo warehouse into it, once."""
    from webapp import demo
    from webapp.extensions import db
    app = factory.get(db_url)
    with app.app_context():
        demo.seed(products=60)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return app


@pytest.fixture(scope="session")
def live_server(factory, tmp_path_factory):
    """The real app over HTTP, CSRF on, demo data seeded; .start()/.stop() for offline tests."""
    folder = tmp_path_factory.mktemp("live")
    db_url = f"sqlite:///{folder / 'live.db'}"  # its own file: the `app` fixture cleans the shared one
    _compile_catalogs()
    server = LiveServer({**os.environ, **factory.settings(db_url), "DEMO_MODE": "1"},
                        free_port(), folder / "gunicorn.log")
    server.app = _seed(factory, db_url)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_products(live_server):
    """[(ean, name, sku), ...] of the seeded products, in id order."""
    from sqlalchemy import select

    from webapp.catalog.models import Barcode, Product
    from webapp.extensions import db
    with live_server.app.app_context():
        rows = db.session.execute(select(Barcode.code, Product.name, Product.sku)
                                  .join(Product, Barcode.product_id == Product.id)
                                  .order_by(Product.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


# ---------------------------------------------------------------- the browser
@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the session (never a downloaded one)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_phone(browser, live_server):
    """new_phone(locale='en-US') -> a page in a fresh phone-sized context on the live server."""
    contexts = []

    def open_page(locale="en-US", **options):
        context = browser.new_context(**{**PHONE, "locale": locale,
                                         "base_url": live_server.url, **options})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []  # uncaught exceptions; tests assert there are none
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_phone):
    """A page in a fresh context: 360x740, 2x pixels, mobile, touch, en-US."""
    return new_phone()


@pytest.fixture
def login():
    """login(page, username): sign in as a demo account (password 'demo'), land on home."""
    from playwright.sync_api import expect

    def sign_in(page, username):
        from offline_support import sign_in as sign_in_twice  # one helper, with its retry
        sign_in_twice(page, username)
        return page
    return sign_in


@pytest.fixture
def screenshot(tmp_path):
    """screenshot(page, name) -> path of a full-page PNG (docs/screenshots with E2E_SCREENSHOTS=1)."""
    folder = SCREENSHOTS if os.environ.get("E2E_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path
    return take


@pytest.fixture
def device(browser, live_server, tmp_path):
    """A phone-sized persistent profile (its own service worker and IndexedDB)."""
    from offline_support import open_phone  # imported late: it needs Playwright
    context = open_phone(browser, live_server, tmp_path / "profile")
    yield context
    context.close()
