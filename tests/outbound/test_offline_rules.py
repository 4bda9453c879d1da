"""The device judges offline scans like the server: static/js/pick-rules.js and
static/js/verify-rules.js (run by node) and picking.services.scan() and
packing.services.verify_scan() get the same scans and must give the same answers."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from outbound_support import barcode_of, order_payload, stocked_skus
from real_parts import missing
from webapp.catalog.models import Barcode, Location, Product
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.orders.models import Order
from webapp.packing import services as packing
from webapp.picking import services as picking
from webapp.picking.models import PickList, Wave
from webapp.picking.waves import run_wave
from webapp.sync.offline import order_payload as order_copy, pick_list_payload
from webapp.templating import barcode_strings

RUNNERS = Path(__file__).resolve().parents[1] / "js"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture
def started(sqlite_warehouse, user_id):
    """(list_id, picker_id): a list of three orders with shared products, started."""
    skus = stocked_skus(4)
    for n, lines in enumerate([[(skus[0], 2), (skus[1], 1)], [(skus[1], 3)],
                               [(skus[2], 1), (skus[3], 2)]]):
        assert intake(order_payload(3000 + n, lines)).outcome == "created"
    db.session.commit()
    wave = Wave(params_json=json.dumps({"max_orders": 3, "max_lines": 20}))
    db.session.add(wave)
    db.session.commit()
    run_wave(wave)
    db.session.commit()
    list_id = db.session.scalars(select(PickList.id).order_by(PickList.id)).first()
    picker = user_id("picker")
    picking.start_list(list_id, picker)
    db.session.commit()
    return list_id, picker


def run_node(payload, scans, tmp_path, runner="pick_rules_run.js", key="list", strings=None):
    """The device's verdicts and its copy (list or order) afterwards."""
    node = shutil.which("node")
    if node is None:
        missing("node is not installed: the device's rules cannot be exercised")
    source = tmp_path / "input.json"
    source.write_text(json.dumps({key: payload, "scans": scans, "strings": strings}))
    done = subprocess.run([node, str(RUNNERS / runner), str(source)], capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def script(pick_list):
    """Scans that try every rule, then walk the whole list the right way."""
    tasks = sorted(pick_list.tasks, key=lambda t: t.sequence)
    first, other = tasks[0], next(t for t in tasks if t.product_id != tasks[0].product_id)
    stray = db.session.scalar(select(Location.code).where(
        Location.type == "storage", Location.code.not_in([t.location.code for t in tasks]))
        .order_by(Location.id))
    ean = barcode_of(first.product_id)
    off_list = off_list_product(pick_list)
    scans = [
        ("   ", 1), ("NOT-A-CODE-42", 1), (stray, 1), (barcode_of(other.product_id), 1),
        # Another product of the catalogue, not on the list: "Wrong item" offline too (issue
        # 10); malformed codes: their reason on both sides, never "Unknown barcode" (issue 9).
        (barcode_of(off_list.id), 1), (off_list.sku, 1), ("]C10109506000134353", 1),
        ("(01)09506000134352(17)260230", 1), (ean[:-1] + str((int(ean[-1]) + 1) % 10), 1),
        (ean, first.quantity + 5), (ean, 0), (f"]E0{ean}", 1), (f"0{ean}", 1),  # GTIN-14 form
        (first.product.sku, 1), (first.location.code, 1), (first.location.code, 1),
    ]
    for n, task in enumerate(tasks):
        code = barcode_of(task.product_id)
        if n == 1:  # units first, all at once with the quantity box, then the location
            # one unit more before the location: "scan the location", not "too many"
            scans += [(code, task.quantity), (code, 1), (task.location.code, 1)]
        else:
            scans += [(task.location.code, 1)] + [(code.translate(FULL_WIDTH), 1)] * task.quantity
    return [{"code": code, "quantity": quantity} for code, quantity in scans]


def off_list_product(pick_list):
    """A product with a barcode that no task of the list picks."""
    on_list = {task.product_id for task in pick_list.tasks}
    return db.session.scalar(select(Product).join(Barcode).where(Product.id.not_in(on_list))
                             .order_by(Product.id).limit(1))


def server_verdicts(list_id, picker, scans):
    """What the server answers to the same scans, one by one, committed like the view."""
    answers = []
    for scan in scans:
        try:
            outcome = picking.scan(list_id, picker, scan["code"], scan["quantity"])
        except picking.PickingError as error:
            db.session.rollback()
            answers.append({"ok": False, "message": str(error)})
            continue
        db.session.commit()
        answers.append({"ok": outcome.ok, "message": str(outcome.message)})
    return answers


def test_the_device_judges_every_scan_like_the_server(started, tmp_path):
    list_id, picker = started
    pick_list = db.session.get(PickList, list_id)
    payload = json.loads(json.dumps(pick_list_payload(pick_list)))  # as the device gets it
    scans = script(pick_list)
    device = run_node(payload, scans, tmp_path)
    server = server_verdicts(list_id, picker, scans)

    mine = [{"ok": v["ok"], "message": v["message"]} for v in device["verdicts"]]
    assert mine == server
    assert {v["ok"] for v in mine} == {True, False}
    messages = " | ".join(v["message"] for v in mine)
    for expected in ("Empty scan.", "Unknown barcode", "Wrong location", "Wrong item",
                     "Too many", "Quantity must be", "confirmed.", "is wrong (expected 2)",
                     "260230 is not a valid YYMMDD date", "counted: scan the location"):
        assert expected in messages
    off_list = off_list_product(pick_list)
    for verdict, scan in zip(mine, scans):
        if scan["code"] in (barcode_of(off_list.id), off_list.sku):
            assert verdict["message"].startswith("Wrong item. Pick "), verdict

    db.session.expire_all()
    pick_list = db.session.get(PickList, list_id)
    assert pick_list.status == device["list"]["status"] == "done"
    on_server = {t.id: (t.status, t.picked_qty, t.location_confirmed) for t in pick_list.tasks}
    on_device = {t["task_id"]: (t["status"], t["picked_qty"], t["location_confirmed"])
                 for t in device["list"]["tasks"]}
    assert on_device == on_server


def test_a_malformed_code_is_refused_in_the_same_chinese_words_on_both(started, tmp_path,
                                                                        app):
    """The device translates barcodes.js's problems with its page's strings (the
    templates and AI names, rendered in zh-CN) into what the server says in zh-CN."""
    list_id, picker = started
    codes = ["]C10109506000134353", "(01)09506000134352(17)260230", "4006381333932",
             "]C110AB#1", "(01)09506000134352(23)1"]
    scans = [{"code": code, "quantity": 1} for code in codes]
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        strings = {"barcode": barcode_strings()}
        server = [str(picking.scan(list_id, picker, code).message) for code in codes]
    payload = json.loads(json.dumps(pick_list_payload(db.session.get(PickList, list_id))))
    device = run_node(payload, scans, tmp_path, strings=strings)
    assert [v["message"] for v in device["verdicts"]] == server
    assert "校验位错误" in server[0] and "有效期至" in server[1] and "GS1 字符集" in server[3]


def test_each_verdict_names_the_task_the_server_would_apply_it_to(started, tmp_path):
    list_id, picker = started
    pick_list = db.session.get(PickList, list_id)
    payload = json.loads(json.dumps(pick_list_payload(pick_list)))
    scans = script(pick_list)
    device = run_node(payload, scans, tmp_path)
    for scan, verdict in zip(scans, device["verdicts"]):
        current = picking.current_task(db.session.get(PickList, list_id))
        assert verdict["task_id"] == current.id
        picking.scan(list_id, picker, scan["code"], scan["quantity"])
        db.session.commit()
        db.session.expire_all()


def test_after_the_last_task_both_refuse(started, tmp_path):
    list_id, picker = started
    pick_list = db.session.get(PickList, list_id)
    payload = json.loads(json.dumps(pick_list_payload(pick_list)))
    scans = script(pick_list) + [{"code": "ANYTHING", "quantity": 1}]
    device = run_node(payload, scans, tmp_path)
    server = server_verdicts(list_id, picker, scans)
    # The server closes the list ("not in progress"); the device says it is finished.
    last_task = device["list"]["tasks"][-1]["task_id"]
    assert device["verdicts"][-1] == {"ok": False, "message": "The list is finished.",
                                      "finished": True, "task_id": last_task}
    assert server[-1]["ok"] is False


# ---------------------------------------------------------------- packing verification
@pytest.fixture
def picked_order(started):
    """An order of the started list, picked to the end: waiting at the packing station."""
    list_id, picker = started
    pick_list = db.session.get(PickList, list_id)
    for scan in script(pick_list):
        picking.scan(list_id, picker, scan["code"], scan["quantity"])
        db.session.commit()
    order = db.session.scalars(select(Order).where(Order.status == "picked")
                               .order_by(Order.id)).first()
    assert order is not None and len(order.lines) == 2
    return order


def verify_script(order):
    """Scans that try every verification rule, then count every unit."""
    mine = {line.product_id for line in order.lines}
    other = db.session.scalar(select(Barcode.code).where(Barcode.product_id.not_in(mine))
                              .order_by(Barcode.id))
    first = order.lines[0]
    ean = barcode_of(first.product_id)
    scans = ["NOT-A-CODE-42", other, "", f"]E0{ean}", first.sku, "]C10109506000134353"]
    scans += [ean.translate(FULL_WIDTH)] * first.quantity  # one over: "too many" at the end
    for line in order.lines[1:]:
        scans += [f"0{barcode_of(line.product_id)}"] * line.quantity
    return [{"code": code, "quantity": 1} for code in scans]


def test_the_device_verifies_an_order_like_the_server(picked_order, tmp_path):
    order = picked_order
    payload = json.loads(json.dumps(order_copy(order, None)))
    scans = verify_script(order)
    device = run_node(payload, scans, tmp_path, runner="verify_rules_run.js", key="order")
    server = []
    for scan in scans:
        outcome = packing.verify_scan(order.id, scan["code"])
        db.session.commit()
        server.append({"ok": outcome.ok, "message": str(outcome.message)})

    mine = [{"ok": v["ok"], "message": v["message"]} for v in device["verdicts"]]
    assert mine == server
    messages = " | ".join(v["message"] for v in mine)
    for expected in ("Unknown barcode NOT-A-CODE-42", "Wrong item: not in this order",
                     "Too many", " of "):
        assert expected in messages
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert packing.fully_verified(order) and device["verdicts"][-1]["complete"] is True
    assert {l["line_id"]: l["verified_qty"] for l in device["order"]["lines"]} == {
        l.id: l.verified_qty for l in order.lines}


def test_an_order_not_waiting_for_packing_is_refused_on_both(picked_order, tmp_path):
    order = picked_order
    payload = json.loads(json.dumps(order_copy(order, None)))
    payload["status"] = "packed"
    device = run_node(payload, [{"code": order.lines[0].sku}], tmp_path,
                      runner="verify_rules_run.js", key="order")
    assert device["verdicts"] == [{"ok": False, "message": "This order is not being packed."}]
    order.status = "packed"
    assert packing.verify_scan(order.id, order.lines[0].sku).message == device["verdicts"][0]["message"]


def test_quantities_are_judged_alike_on_the_device_and_the_server(picked_order, tmp_path):
    order = picked_order
    first, second = order.lines
    first.quantity, second.quantity = 24, 1  # 24 identical units: one scan and a number
    db.session.commit()
    payload = json.loads(json.dumps(order_copy(order, None)))
    ean, other = barcode_of(first.product_id), barcode_of(second.product_id)
    scans = [(first.sku, 5), (ean, "abc"), (ean, 0), (ean, "１"), (ean, 100_001), (ean, -3),
             (ean, 1), (ean, 30), (ean, " 23 "), (ean, 1), (other, 2), (other, None)]
    scans = [{"code": code, "quantity": qty} for code, qty in scans]
    device = run_node(payload, scans, tmp_path, runner="verify_rules_run.js", key="order")
    server = []
    for scan in scans:
        outcome = packing.verify_scan(order.id, scan["code"], scan["quantity"])
        db.session.commit()
        server.append({"ok": outcome.ok, "message": str(outcome.message)})
    mine = [{"ok": v["ok"], "message": v["message"]} for v in device["verdicts"]]
    assert mine == server
    assert [v["ok"] for v in mine] == [False] * 6 + [True, False, True, False, False, True]
    assert mine[0]["message"] == f"Scan one unit of {first.sku} first, then enter the rest."
    assert mine[7]["message"] == f"Too many: only 23 of {first.sku} left to count."
    assert mine[8]["message"] == f"{first.sku}: 24 of 24."
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert packing.fully_verified(order) and device["verdicts"][-1]["complete"] is True
