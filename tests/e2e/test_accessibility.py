"""Accessibility of the screens people read at a glance, checked with axe-core (the
engine of Lighthouse's accessibility score) at 360x740 in Chromium: WCAG 2.1 A and AA
rules, every impact. Issue 11 asks Lighthouse accessibility >= 95 for the console;
a screen with no axe violation scores 100 on the rules axe can decide."""
from pathlib import Path

import pytest

AXE = (Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js").read_text()
RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag",
    values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return result.violations.map((v) => v.impact + " " + v.id + ": " + v.help + " at "
    + v.nodes.slice(0, 4).map((n) => n.target.join(" ")).join(", "));
}"""

SCREENS = [
    ("supervisor", "/"), ("supervisor", "/console/queues"), ("supervisor", "/console/picklists"),
    ("supervisor", "/console/kpis"), ("supervisor", "/console/devices"),
    ("supervisor", "/console/reorder"), ("supervisor", "/audit"), ("supervisor", "/counts/plans"),
    ("picker", "/"), ("picker", "/picking"), ("packer", "/packing"), ("receiver", "/receiving"),
    ("courier", "/handoff"), ("customer_service", "/returns"), ("customer_service", "/aftersales"),
]


def violations(page):
    page.evaluate(AXE)
    return page.evaluate(RUN)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_screens_have_no_accessibility_violations(new_phone, login, locale):
    found = {}
    pages = {}
    for user, path in SCREENS:
        if user not in pages:
            pages[user] = login(new_phone(locale=locale), user)
        page = pages[user]
        response = page.goto(path)
        assert response.status == 200, (user, path, response.status)
        page.wait_for_load_state("networkidle")
        if problems := violations(page):
            found[f"{user} {path}"] = problems
    assert not found, "\n".join(f"{where}:\n  " + "\n  ".join(p) for where, p in found.items())
