"""The device's put-away rules (static/js/putaway-rules.js, run by node) and the
server's walk.scan() answer the same scans the same way."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from receiving_support import SIGNED, ean, products
from webapp.catalog.models import Location
from webapp.extensions import db
from webapp.receiving import offline, putaway, services, walk

RUNNER = Path(__file__).resolve().parent.parent / "js" / "putaway_rules_run.js"


def run_node(run_copy, codes, tmp_path):
    """The device's verdicts, scan by scan."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the device's rules cannot be exercised")
    source = tmp_path / "input.json"
    source.write_text(json.dumps({"run": run_copy, "codes": codes}))
    done = subprocess.run([node, str(RUNNER), str(source)], capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout)["verdicts"]


def test_device_and_server_judge_the_same_put_away_scans_alike(warehouse, receipt, user_id,
                                                               tmp_path):
    p1, p2, p3 = products(3)
    receiver = user_id("receiver")
    receipt_id = receipt([(p1.sku, 2), (p2.sku, 1)])
    for product, qty in ((p1, 2), (p2, 1)):
        services.scan(receipt_id, receiver, product.sku, qty)
    run = services.close(receipt_id, receiver, "Li Lei", "ACME", **SIGNED)
    putaway.plan(run)
    db.session.commit()
    copy = json.loads(json.dumps(offline.putaway_payload(run, receiver), default=str))
    first, second = sorted(run.tasks, key=lambda t: (t.walk, t.sequence))
    other_bin = db.session.scalar(select(Location.code).where(
        Location.type == "storage", Location.id.not_in(
            [first.suggested_location_id, second.suggested_location_id])).limit(1))
    dock = db.session.scalar(select(Location.code).where(Location.type == "receiving").limit(1))
    wrong = next(p for p in (p1, p2, p3) if p.id != first.product_id)
    codes = [ean(first.product),          # the item before its bin
             "NO-SUCH-CODE-42", "4006381333932",  # unknown; a well-formed EAN nobody has
             dock,                        # not a storage bin
             first.suggested.code,        # the suggested bin
             ean(wrong),                  # another product
             ean(first.product),          # put away
             other_bin,                   # the next task into another bin: an override
             second.product.sku,          # by its SKU
             ean(first.product)]          # nothing left to do
    device = run_node(copy, codes, tmp_path)
    server = []
    for code in codes:
        try:
            outcome = walk.scan(run.id, receiver, code)
            server.append({"ok": outcome.ok, "message": outcome.message})
        except walk.WalkError as error:
            server.append({"ok": False, "message": str(error)})
    assert [(v["ok"], v["message"]) for v in device] == [
        (v["ok"], v["message"]) for v in server]
    assert [v["ok"] for v in server] == [False, False, False, False, True, False, True, True,
                                         True, False]
    assert device[7]["line_id"] == second.id and "override" in device[7]["message"]
