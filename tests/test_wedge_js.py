"""Keyboard-wedge detection (static/js/wedge.js), run by node over synthetic key events.

tests/js/wedge_cases.js feeds keystrokes with chosen timestamps into a minimal fake
input and checks what reaches onScan: scans told from typing by the gaps, Tab after a
scan kept from moving focus, bursts of labels 50 ms apart split at every Enter/Tab with
nothing dropped or merged. Each of its checks is reported here as its own test.
"""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from real_parts import missing

RUNNER = Path(__file__).resolve().parent / "js" / "wedge_cases.js"


@pytest.fixture(scope="module")
def wedge_results():
    """{check name: (ok, detail)} from one node run; skipped when node is not installed."""
    node = shutil.which("node")
    if node is None:
        missing("node is not installed: static/js/wedge.js cannot be exercised")
    done = subprocess.run([node, str(RUNNER)], capture_output=True, text=True, timeout=60,
                          check=False)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the runner printed no results:\n{done.stderr}"
    assert done.returncode == (0 if all(line["ok"] for line in lines) else 1), done.stderr
    return {line["name"]: (line["ok"], line.get("detail", "")) for line in lines}


EXPECTED_CHECKS = [
    "classifyTiming: all gaps under the threshold is a wedge",
    "classifyTiming: the threshold is a strict bound and configurable",
    "classifyTiming: too few keys or none is a person",
    "one fast scan ending in Enter is a wedge scan; the field is empty when onScan runs",
    "a fast scan ending in Tab is delivered and focus does not move",
    "a person typing slowly and pressing Enter is delivered as keyboard",
    "a person pressing Tab moves focus; nothing is sent and the text stays",
    "a fast run of fewer than 4 keys is a person (rolled-over keys)",
    "Enter in an empty field sends nothing and does not submit the form",
    "a burst of 30 labels 50 ms apart: each code once, in order, all from the wedge",
    "labels back to back (1 ms after Enter) are still split at each Enter",
    "a scan after slowly typed keys is sent whole with them: a code is never cut",
    "a hiccup inside a scan: the code is sent whole and a final Tab keeps focus",
    "an edited entry (Backspace) is a person's, sent whole",
    "thresholdMs option: a slow Bluetooth scanner (45 ms a key) is a wedge at 60 ms",
    "the keys' own timeStamps count, not when the handler runs",
    "without timeStamps the clock option is used",
    "IME composition: Enter that picks a candidate is not a scan",
    "a code from the camera (warehouse:scan event) takes the same path",
    "onScan throwing does not lose the next scan",
    "detach() stops listening",
    "fuzz: 500 random labels, jittery scanner, 20-80 ms apart: nothing dropped or merged",
]


@pytest.mark.parametrize("name", EXPECTED_CHECKS)
def test_wedge_check(wedge_results, name):
    """One check of tests/js/wedge_cases.js passed (and was run at all)."""
    assert name in wedge_results, f"the runner has no check named {name!r}"
    ok, detail = wedge_results[name]
    assert ok, detail


def test_every_check_of_the_runner_is_listed_here(wedge_results):
    """A check added to the runner is not silently left out of the report."""
    assert sorted(wedge_results) == sorted(EXPECTED_CHECKS)
