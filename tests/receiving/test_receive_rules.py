"""The device's receiving rules (static/js/receive-rules.js, run by node) and the
server's services.scan() answer the same scans the same way."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from receiving_support import ean, products
from webapp.extensions import db
from webapp.receiving import offline, services
from webapp.receiving.models import Receipt

RUNNER = Path(__file__).resolve().parent.parent / "js" / "receive_rules_run.js"


def run_node(receipt_copy, scans, tmp_path):
    """The device's verdicts and its copy afterwards."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the device's rules cannot be exercised")
    source = tmp_path / "input.json"
    source.write_text(json.dumps({"receipt": receipt_copy, "scans": scans}))
    done = subprocess.run([node, str(RUNNER), str(source)], capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout)


def test_device_and_server_judge_the_same_scans_alike(warehouse, receipt, user_id, tmp_path):
    p1, p2, p3 = products(3)
    receipt_id = receipt([(p1.sku, 2), (p2.sku, 1)])
    copy = json.loads(json.dumps(offline.receipt_payload(db.session.get(Receipt, receipt_id),
                                                         None), default=str))
    gs1 = f"]C101{ean(p1).zfill(14)}17270101" + "10LX"
    scans = [
        {"code": ean(p1), "quantity": 1},
        {"code": gs1, "quantity": 1},
        {"code": ean(p1), "quantity": 1},                                   # over: asks
        {"code": ean(p1), "quantity": 1, "options": {"accept_note": "spare"}},
        {"code": p2.sku, "quantity": 1, "options": {"outcome": "fail", "reason": "damaged"}},
        {"code": ean(p3), "quantity": 1},                                   # unexpected
        {"code": ean(p3), "quantity": 2, "options": {"accept_note": "on the truck"}},
        {"code": "4006381333932", "quantity": 1},                           # bad check digit
        {"code": "NOTHING-HERE", "quantity": 1},
        {"code": ean(p2), "quantity": 0},
    ]
    device = run_node(copy, scans, tmp_path)
    server = []
    for scan in scans:
        options = scan.get("options", {})
        outcome = services.scan(receipt_id, user_id("receiver"), scan["code"], scan["quantity"],
                                **options)
        db.session.commit()
        server.append(outcome)
    assert [(v["ok"], v.get("needsReason")) for v in device["verdicts"]] == [
        (o.ok, o.needs_reason) for o in server]
    row = db.session.get(Receipt, receipt_id)
    assert [(ln["received_qty"], ln["passed_qty"], ln["failed_qty"])
            for ln in device["receipt"]["lines"]] == [
        (ln.received_qty, ln.passed_qty, ln.failed_qty) for ln in row.lines]
    assert device["verdicts"][1]["lot"] == "LX" and device["verdicts"][1]["expiry"] == "2027-01-01"
    assert "check digit" in device["verdicts"][7]["message"]
