"""Lighthouse on the picking screen, as a picker's phone sees it, with the sign-in page as
the baseline of the same run.

    .venv/bin/python benchmarks/lighthouse_picking.py            # 3 runs each, medians
    .venv/bin/python benchmarks/lighthouse_picking.py --runs 1

Needs Node.js and npm (Lighthouse 13 comes from the npm registry into
.cache/lighthouse/ the first time) and Debian's chromium at /usr/bin/chromium; never a
downloaded browser. The app runs under gunicorn on a fresh SQLite file with the demo
warehouse; the script signs in as the demo picker, starts a pick list, and hands
Lighthouse the session cookie. Mobile form factor with Lighthouse's default simulated
slow 4G and 4x CPU slowdown. Prints the performance and accessibility scores and the
main timings of each page, and the failed accessibility audits if any.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ROOT, Environment, Server, sqlite_database, table  # noqa: E402

LIGHTHOUSE_VERSION = "13"
CACHE = ROOT / ".cache" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")
METRICS = (("first-contentful-paint", "FCP"), ("largest-contentful-paint", "LCP"),
           ("total-blocking-time", "TBT"), ("cumulative-layout-shift", "CLS"),
           ("speed-index", "Speed index"))


def lighthouse_bin():
    """The lighthouse CLI, installed from the npm registry into .cache/ when missing."""
    binary = CACHE / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        if shutil.which("npm") is None:
            sys.exit("npm is needed to install Lighthouse from the npm registry")
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"installing lighthouse@{LIGHTHOUSE_VERSION} into {CACHE}", file=sys.stderr)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CACHE),
                        f"lighthouse@{LIGHTHOUSE_VERSION}"], check=True)
    return binary


class Browser:
    """A tiny cookie-keeping HTTP client: sign in and press buttons like the picker."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path):
        """The page's HTML."""
        with self.opener.open(self.base + path) as answer:
            return answer.read().decode()

    def post(self, path, form, csrf_from):
        """POST a form with the CSRF token of the page at csrf_from."""
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.get(csrf_from))[1]
        data = urllib.parse.urlencode({**form, "csrf_token": token}).encode()
        with self.opener.open(self.base + path, data=data) as answer:
            return answer.geturl()

    def cookie_header(self):
        """The Cookie header a browser would send."""
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def picking_screen(app, browser):
    """Sign in as the demo picker and start a planned list; return its path."""
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.picking.models import PickList
    with app.app_context():
        list_id = db.session.scalar(select(PickList.id).where(PickList.status == "open")
                                    .order_by(PickList.id))
        db.session.remove()
    landed = browser.post("/login", {"username": "picker", "password": "demo"}, "/login")
    if landed.endswith("/login"):
        raise RuntimeError("the demo picker could not sign in")
    browser.post(f"/picking/lists/{list_id}/start", {}, "/picking")
    return f"/picking/lists/{list_id}"


def audit(binary, url, cookie, folder, name):
    """One Lighthouse run: the JSON report."""
    output = folder / f"{name}.json"
    command = [str(binary), url, "--output=json", f"--output-path={output}", "--quiet",
               "--only-categories=performance,accessibility", f"--chrome-flags={CHROME_FLAGS}"]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM})
    return json.loads(output.read_text())


def figures(reports):
    """Median scores and timings of several reports of one page."""
    def median(values):
        return statistics.median(values)
    result = {category: median([100 * r["categories"][category]["score"] for r in reports])
              for category in ("performance", "accessibility")}
    for key, _label in METRICS:
        result[key] = median([r["audits"][key]["numericValue"] for r in reports])
    failed = {a["title"] for r in reports for a in r["audits"].values()
              if a.get("scoreDisplayMode") == "binary" and a.get("score") == 0
              and a["id"] in {ref["id"] for ref in r["categories"]["accessibility"]["auditRefs"]}}
    result["failed"] = sorted(failed)
    result["final_url"] = reports[-1]["finalDisplayedUrl"]
    return result


def timing(key, value):
    """A metric for the table."""
    return f"{value:.3f}" if key == "cumulative-layout-shift" else f"{value / 1000:.2f} s"


def main(argv=None):
    """Serve the demo, run Lighthouse on the sign-in page and the picking screen, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page (medians)")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        sys.exit(f"Debian's chromium is needed at {CHROMIUM}")
    binary = lighthouse_bin()
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout
    with sqlite_database() as url, tempfile.TemporaryDirectory(prefix="bench-lh-") as folder:
        env = Environment(url, folder)
        env.vars["DEMO_MODE"] = "1"
        app = env.app()
        from webapp import demo
        from webapp.extensions import db
        with app.app_context():
            demo.seed(products=120)
            db.session.commit()
            db.session.remove()
        try:
            with Server(env, workers=2, threads=4) as server:
                base = f"http://127.0.0.1:{server.port}"
                browser = Browser(base)
                screen = picking_screen(app, browser)
                pages = {"sign-in page (baseline)": ("/login", None),
                         "picking screen": (screen, browser.cookie_header())}
                results = {}
                for label, (path, cookie) in pages.items():
                    reports = [audit(binary, base + path, cookie, Path(folder), f"{n}-{len(results)}")
                               for n in range(args.runs)]
                    results[label] = figures(reports)
        finally:
            env.drop_queues()
    picking = results["picking screen"]
    if not picking["final_url"].endswith(screen):
        sys.exit(f"Lighthouse ended on {picking['final_url']}, not the picking screen")
    print(f"## Lighthouse {version.strip()} on Debian Chromium, mobile (simulated slow 4G, "
          f"4x CPU slowdown), median of {args.runs} run(s)\n")
    header = ["measure"] + list(results)
    rows = [["performance score"] + [f"{r['performance']:.0f}" for r in results.values()],
            ["accessibility score"] + [f"{r['accessibility']:.0f}" for r in results.values()]]
    rows += [[label] + [timing(key, r[key]) for r in results.values()] for key, label in METRICS]
    print(table(header, rows))
    for label, result in results.items():
        if result["failed"]:
            print(f"\nFailed accessibility audits on the {label}: {'; '.join(result['failed'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
