"""Every page each role can open, at 360x740 in Chromium: no sideways scrolling, no text
under 12 px, no tap target under 40 px, no link or button the role may not use. The pages come from the app's URL map (a new
page is covered without editing this test); URL ids are filled from the demo data."""
import json
import os

from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from webapp.access import PUBLIC, allowed_roles
from webapp.accounts.models import ROLES
from webapp.extensions import db

ARG_TABLES = {"run_id": "reconciliation_run"}
ARG_VALUES = {"kind": "locations"}

# Every same-site address a page offers: links, forms, htmx requests.
OFFERS = """() => {
  const found = [];
  const visible = (el) => el.getClientRects().length > 0 && !el.closest("[hidden]");
  for (const a of document.querySelectorAll("a[href]")) if (visible(a)) found.push(["GET", a.href]);
  for (const f of document.querySelectorAll("form")) {
    const button = f.querySelector("button, input[type=submit]");
    if (button && visible(button)) found.push([(f.method || "get").toUpperCase(), f.action]);
  }
  for (const el of document.querySelectorAll("[hx-get], [hx-post]"))
    if (visible(el) && !el.matches("[hx-trigger^=load]"))
      found.push(el.hasAttribute("hx-post") ? ["POST", el.getAttribute("hx-post")] : ["GET", el.getAttribute("hx-get")]);
  return found;
}"""

# Measured in the page: what overflows, what is too small to read or to hit.
MEASURE = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width + 1)
    problems.push(`page is ${document.documentElement.scrollWidth}px wide`);
  const who = document.querySelector(".bar .who");
  if (who && who.scrollWidth > who.clientWidth + 1) problems.push(`name cut: "${who.textContent}"`);
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none"; };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.name ? `[name=${el.name}]` : "") + ` "${(el.innerText || el.value || "").trim().slice(0, 30)}"`;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const small = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || small.has(el) || !visible(el)) continue;
    if (el.closest("svg, script, style, noscript, datalist, option, [hidden]")) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 12) { small.add(el); problems.push(`text ${size}px: ${name(el)}`); }
  }
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary")) {
    if (!visible(el) || el.closest("[hidden]")) continue;
    const style = getComputedStyle(el);
    // A link inside a sentence is read, not aimed at: WCAG's inline exception.
    if (el.tagName === "A" && style.display === "inline" && el.parentElement &&
        el.parentElement.innerText.trim().length > el.innerText.trim().length + 3) continue;
    let r = el.getBoundingClientRect();
    // A checkbox counts with its label, which is the target a finger hits.
    const label = el.closest("label");
    if ((el.type === "checkbox" || el.type === "radio") && label) r = label.getBoundingClientRect();
    if (r.height < 40 || r.width < 40) problems.push(`target ${Math.round(r.width)}x${Math.round(r.height)}: ${name(el)}`);
  }
  return problems;
}"""


def role_pages(app):
    """{role: [path, ...]}: every GET page each role may open, with real ids."""
    pages = {role: [] for role in ROLES}
    with app.app_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static" or "GET" not in rule.methods:
                continue
            if rule.rule.startswith("/api/") or rule.rule.endswith((".svg", ".zpl", ".json", ".csv",
                                                                    ".js", ".webmanifest")):
                continue
            roles = allowed_roles(rule.endpoint)
            if roles is None or roles == PUBLIC:
                continue
            path = _path(rule)
            if path is None:
                continue
            for role in ROLES:
                if role in roles:
                    pages[role].append(path)
        db.session.remove()
    return pages


def refused_offers(server, role, offers):
    """The links and buttons on a page that would answer this role 403."""
    adapter = server.app.url_map.bind("127.0.0.1")
    refused = []
    for method, url in offers:
        parts = urlsplit(urljoin(server.url + "/", url))
        if parts.netloc != urlsplit(server.url).netloc or parts.path.startswith("/static/"):
            continue
        try:
            endpoint, _args = adapter.match(parts.path, method=method)
        except HTTPException:
            continue
        roles = allowed_roles_of(server.app, endpoint)
        if roles != PUBLIC and (roles is None or role not in roles):
            refused.append(f"offers {method} {parts.path}, which {role} may not use")
    return refused


def allowed_roles_of(app, endpoint):
    """The roles an endpoint declares (access.allow), read outside a request."""
    return getattr(app.view_functions.get(endpoint), "allowed_roles", None)


def _path(rule):
    """The rule's URL with ids of demo rows, or None when nothing fits."""
    values = {}
    for name in rule.arguments:
        if name in ARG_VALUES:
            values[name] = ARG_VALUES[name]
            continue
        table = db.metadata.tables.get(ARG_TABLES.get(name, name.removesuffix("_id")))
        if table is None:
            return None
        values[name] = db.session.scalar(select(table.c.id).order_by(table.c.id).limit(1))
        if values[name] is None:
            return None
    return rule.build(values, append_unknown=False)[1]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone(role, live_server, new_phone, login, screenshot):
    page = new_phone()
    login(page, role)
    screenshot(page, f"home-{role}-360")  # the header with the person's whole name
    problems = {}
    for path in role_pages(live_server.app)[role]:
        try:
            response = page.goto(path)
        except PlaywrightError as error:  # a file download (CSV export...), not a page
            if "Download is starting" in str(error):
                continue
            raise
        if response is None or response.status != 200 or "html" not in (
                response.headers.get("content-type") or ""):
            continue
        page.wait_for_load_state("load")
        found = page.evaluate(MEASURE) + refused_offers(live_server, role,
                                                        page.evaluate(OFFERS))
        if found:
            problems[path] = found
    if os.environ.get("PHONE_PAGES_REPORT"):  # while fixing: every finding, not the first
        with open(os.environ["PHONE_PAGES_REPORT"], "a") as report:
            report.write(json.dumps({role: problems}) + "\n")
    assert problems == {}, "\n".join(f"{p}: {'; '.join(f[:6])}" for p, f in problems.items())
