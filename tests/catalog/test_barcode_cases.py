"""One set of barcode cases, two parsers: webapp/catalog/barcodes.py and static/js/barcodes.js.

Each case in tests/cases/barcodes.json names an input and what parsing it must give
(`expect`: fields that must match; `error`: a substring of one of the messages; no
`error` means no message at all; `keys`: forms lookup_keys must include). Both the
Python and the JavaScript parser must meet every case, and give exactly the same
result as each other, messages included.
"""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from real_parts import missing

from webapp.catalog.barcodes import lookup_keys, parse
from webapp.catalog.plain_codes import clean
from webapp.catalog.scan_result import BarcodeError

ROOT = Path(__file__).resolve().parents[2]
CASES_FILE = ROOT / "tests" / "cases" / "barcodes.json"
RUNNER = ROOT / "tests" / "js" / "barcode_cases.js"
CASES = json.loads(CASES_FILE.read_text(encoding="utf-8"))
IDS = [f"{number:02d}-{case.get('note', case['input'])[:40]}" for number, case in enumerate(CASES)]


def python_result(case):
    """What the Python side gives for a case, in the runner's line format."""
    return {"parse": parse(case["input"]).as_dict(),
            "lookupKeys": lookup_keys(clean(case["input"]))}


def check_expectation(case, result):
    """Assert that one parser's result meets the case."""
    parsed = result["parse"]
    for name, value in case.get("expect", {}).items():
        assert parsed[name] == value, f"{name}: {parsed[name]!r} != {value!r}"
    if "error" in case:
        assert any(case["error"] in message for message in parsed["errors"]), parsed["errors"]
    else:
        assert parsed["errors"] == []
    missing = set(case.get("keys", [])) - set(result["lookupKeys"])
    assert not missing, f"lookup keys {result['lookupKeys']} lack {missing}"


@pytest.fixture(scope="module")
def js_results():
    """The runner's line per case, from node; skipped when node is not installed."""
    node = shutil.which("node")
    if node is None:
        missing("node is not installed: the JavaScript half of the barcode cases "
                    "(static/js/barcodes.js) is not checked")
    done = subprocess.run([node, str(RUNNER), str(CASES_FILE)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(CASES)
    return lines


def test_there_are_enough_cases_and_inputs_are_distinct():
    """The shared set is meant to cover each rule at least once, without repeats."""
    assert len(CASES) >= 40
    assert len({case["input"] for case in CASES}) == len(CASES)
    assert all(("expect" in case) or ("error" in case) for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_python_meets_the_case(case):
    """The server's parser gives what the case says."""
    check_expectation(case, python_result(case))


@pytest.mark.parametrize("number", range(len(CASES)), ids=IDS)
def test_javascript_meets_the_case_and_agrees_with_python(js_results, number):
    """The browser's parser gives what the case says, and exactly what Python gives."""
    case, result = CASES[number], js_results[number]
    assert "exception" not in result, result.get("exception")
    check_expectation(case, result)
    assert result == python_result(case)


def test_strict_parse_raises_with_every_message():
    """parse(strict=True) refuses a bad code with all that is wrong, in one message."""
    with pytest.raises(BarcodeError, match="check digit.*YYMMDD"):
        parse("(01)09506000134353(17)201332", strict=True)
    assert parse("]C10109506000134352", strict=True).gtin == "09506000134352"
