"""POST /api/v1/scans: exactly once, conflicts kept, bad scans rejected alone."""
import re
import threading
from contextlib import contextmanager

from sqlalchemy import event, func, select

from webapp.accounts.services import revoke_device
from webapp.catalog.models import StockMovement
from webapp.catalog.stock import ledger_mismatches, move_stock
from webapp.extensions import db
from webapp.orders.services import cancel_order
from webapp.picking.models import PickTask
from webapp.sync.models import ScanRecord


def post(client, device, scans, **body):
    """Send a batch with the device token; return (status, results)."""
    response = client.post("/api/v1/scans", headers=device["headers"],
                           json={"device_id": device["id"], "scans": scans, **body})
    return response.status_code, (response.get_json() or {}).get("results")


def first_task(walk):
    """The first task of the walked list, fresh from the database."""
    return db.session.scalars(select(PickTask).where(PickTask.pick_list_id == walk["list"].id)
                              .order_by(PickTask.sequence)).first()


def second_task(walk):
    """The next task of the walked list."""
    return db.session.scalars(select(PickTask).where(PickTask.pick_list_id == walk["list"].id)
                              .order_by(PickTask.sequence)).all()[1]


def count(model, *where):
    """Rows of a model matching the conditions."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_batch_applies_once_and_replay_is_duplicate(walk, device, scans):
    task = first_task(walk)
    batch = scans.complete(task)
    client = walk["app"].test_client()
    status, results = post(client, device, batch)
    assert status == 200 and {r["status"] for r in results} == {"applied"}
    moves = count(StockMovement, StockMovement.reason == "pick")
    status, results = post(client, device, batch)
    assert status == 200 and {r["status"] for r in results} == {"duplicate"}
    db.session.expire_all()
    assert count(ScanRecord) == len(batch)
    assert count(StockMovement, StockMovement.reason == "pick") == moves == 1
    assert db.session.get(PickTask, task.id).status == "done"
    assert ledger_mismatches() == []


def test_out_of_order_batches_item_before_location(walk, device, scans):
    task = first_task(walk)
    location_scan, *item_scans = scans.complete(task)
    client = walk["app"].test_client()
    assert {r["status"] for r in post(client, device, item_scans)[1]} == {"applied"}
    assert post(client, device, [location_scan])[1][0]["status"] == "applied"
    db.session.expire_all()
    assert db.session.get(PickTask, task.id).status == "done"


def test_cancelled_order_makes_a_conflict_listed_for_the_supervisor(walk, device, scans):
    task = first_task(walk)
    cancel_order(task.order_id, None, "customer cancelled")
    db.session.commit()
    status, results = post(walk["app"].test_client(), device, scans.complete(task))
    assert status == 200 and {r["status"] for r in results} == {"conflict"}
    assert "cancelled" in results[0]["reason"]
    db.session.expire_all()
    assert count(ScanRecord, ScanRecord.status == "conflict") == len(results)
    supervisor = walk["app"].test_client()
    supervisor.post("/login", data={"username": "supervisor", "password": "demo"})
    page = supervisor.get("/sync/conflicts")
    assert page.status_code == 200 and b"cancelled" in page.data
    text = page.get_data(as_text=True)  # named as people name them, not by database ids
    assert "device HH-TEST" in text and f"list PL{task.pick_list_id}" in text


def test_stock_gone_meanwhile_is_a_conflict(walk, device, scans):
    task = first_task(walk)
    location_id, product_id = task.location_id, task.product_id
    level = db.session.execute(
        select(func.sum(StockMovement.quantity)).where(StockMovement.to_location_id == location_id,
                                                       StockMovement.product_id == product_id)
    ).scalar()
    from webapp.catalog.models import StockLevel
    row = db.session.scalar(select(StockLevel).where(StockLevel.location_id == location_id,
                                                     StockLevel.product_id == product_id))
    free = row.quantity - row.reserved
    if free:
        move_stock(product_id, free, reason="adjustment", from_location_id=location_id)
    # Someone else takes the reserved units too (a count found them missing).
    row.reserved = 0
    db.session.commit()
    move_stock(product_id, row.quantity, reason="adjustment", from_location_id=location_id)
    db.session.commit()
    results = post(walk["app"].test_client(), device, scans.complete(task))[1]
    assert results[-1]["status"] == "conflict" and "stock" in results[-1]["reason"]
    assert level  # the location had received stock before
    db.session.expire_all()
    assert db.session.get(PickTask, task.id).status == "pending"


def test_malformed_scans_are_rejected_alone(walk, device, scans):
    task = first_task(walk)
    good = scans.complete(task)
    bad = [
        {**scans.make(task, "X"), "id": "not-a-uuid"},
        {**scans.make(task, "X"), "action": "teleport"},
        {**scans.make(task, "X"), "quantity": 0},
        {**scans.make(task, "X"), "device_time": "yesterday"},
        {**scans.make(task, "X"), "code": ""},
        scans.make(second_task(walk), "NO-SUCH-CODE-1"),
        "not even an object",
    ]
    status, results = post(walk["app"].test_client(), device, bad[:3] + good + bad[3:])
    assert status == 200 and len(results) == len(bad) + len(good)
    by_status = [r["status"] for r in results]
    assert by_status[3:3 + len(good)] == ["applied"] * len(good)
    assert by_status[:3] + by_status[3 + len(good):] == ["rejected"] * len(bad)
    reasons = " ".join(r["reason"] for r in results if r["status"] == "rejected")
    for expected in ("UUID", "unknown action", "quantity", "device_time", "empty code",
                     "Unknown barcode"):
        assert expected in reasons


def test_wrong_role_is_rejected(walk, device, scans):
    from webapp.accounts.models import User
    packer = db.session.scalar(select(User).where(User.username == "packer"))
    scan = {**scans.make(first_task(walk), "X"), "user_id": packer.id}
    assert post(walk["app"].test_client(), device, [scan])[1][0]["status"] == "rejected"


def test_oversize_and_malformed_bodies(walk, device, scans):
    client = walk["app"].test_client()
    task = first_task(walk)
    status, _ = post(client, device, [scans.make(task, "X")] * 5001)
    assert status == 413
    response = client.post("/api/v1/scans", headers=device["headers"], json=[1, 2])
    assert response.status_code == 400
    response = client.post("/api/v1/scans", headers=device["headers"],
                           json={"device_id": device["id"] + 99, "scans": []})
    assert response.status_code == 403


def test_revoked_and_unknown_devices_are_refused(walk, device, scans):
    client = walk["app"].test_client()
    batch = [scans.make(first_task(walk), "X")]
    response = client.post("/api/v1/scans", json={"scans": batch},
                           headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    revoke_device(device["device"].id)
    db.session.commit()
    assert post(client, device, batch)[0] == 401
    assert count(ScanRecord) == 0


def signed_in_tab(app, username="picker"):
    """A client signed in as a demo person, with its page's CSRF token, as a tab sends it."""
    tab = app.test_client()
    assert tab.post("/login", data={"username": username, "password": "demo"}).status_code == 302
    token = re.search(r'"X-CSRFToken": "([^"]+)"', tab.get("/").get_data(as_text=True)).group(1)
    tab.csrf = {"X-CSRFToken": token}
    return tab


@contextmanager
def both_past_the_check(parties=2, seconds=5):
    """Hold each request at its first INSERT of a scan until the other got there too:
    both have looked for the uuids and found none, then both write. Where the database
    makes one wait before that (SQLite's write lock), the other goes on after `seconds`."""
    barrier, held = threading.Barrier(parties), threading.local()

    insert = f"INSERT INTO {ScanRecord.__tablename__.upper()}"

    def hold(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(insert) and not getattr(held, "done", False):
            held.done = True
            try:
                barrier.wait(timeout=seconds)
            except threading.BrokenBarrierError:
                pass
    event.listen(db.engine, "before_cursor_execute", hold)
    try:
        yield barrier
    finally:
        event.remove(db.engine, "before_cursor_execute", hold)


def test_two_tabs_sending_the_same_batch_at_once_apply_it_once(walk, scans):
    """Two signed-in sessions of the picker (a phone and a tablet, or a tab signed in
    again) send the same batch at the same moment: one applies it, the other is told
    `duplicate`, never an error, and the stock moves once."""
    task = first_task(walk)
    batch, task_id = scans.complete(task), task.id
    app, answers = walk["app"], []
    tabs = [signed_in_tab(app) for _ in range(2)]
    db.session.close()

    def send(tab):
        with app.app_context():
            response = tab.post("/api/v1/scans", json={"scans": batch}, headers=tab.csrf)
            answers.append((response.status_code, [r["status"] for r in
                                                   (response.get_json() or {}).get("results", [])]))
    with both_past_the_check() as barrier:
        threads = [threading.Thread(target=send, args=(tab,)) for tab in tabs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(answers) == [(200, ["applied"] * len(batch)), (200, ["duplicate"] * len(batch))]
    raced = not barrier.broken  # both wrote at once (PostgreSQL); SQLite makes one wait
    assert raced == (db.engine.dialect.name == "postgresql")
    assert count(ScanRecord) == len(batch)
    assert count(StockMovement, StockMovement.reason == "pick") == 1
    assert db.session.get(PickTask, task_id).status == "done"
    assert ledger_mismatches() == []


def test_large_batch_is_stored_then_applied_in_order_by_a_real_worker(walk, device, scans,
                                                                      run_worker):
    from webapp.sync.applying import apply_stored
    from webapp.sync.services import INLINE_LIMIT
    task = first_task(walk)
    # A long offline spell: the location confirmed again and again, then the items.
    batch = [scans.make(task, task.location.code) for _ in range(INLINE_LIMIT)]
    batch += scans.complete(task)
    status, results = post(walk["app"].test_client(), device, batch)
    assert status == 200 and {r["status"] for r in results} == {"stored"}
    assert db.session.get(PickTask, task.id).status == "pending"  # nothing applied yet
    db.session.close()
    run_worker(walk["app"].config["SQLALCHEMY_DATABASE_URI"], "reconciliation")
    db.session.expire_all()
    assert count(ScanRecord, ScanRecord.status == "applied") == len(batch)
    assert db.session.get(PickTask, task.id).status == "done"
    assert apply_stored() == {}  # a second run finds nothing left to do
    assert count(StockMovement, StockMovement.reason == "pick") == 1
    assert ledger_mismatches() == []


def test_large_batch_answers_every_scan_and_its_replay_is_all_duplicates(walk, device, scans):
    from webapp.sync.services import INLINE_LIMIT
    client = walk["app"].test_client()
    task = first_task(walk)
    already = scans.make(task, task.location.code)
    assert post(client, device, [already])[1][0]["status"] == "applied"
    batch = [scans.make(task, task.location.code) for _ in range(INLINE_LIMIT)]
    bad = [{**scans.make(task, "X"), "id": "not-a-uuid"},
           {**scans.make(task, "X"), "action": "teleport"},  # a uuid: stored as rejected
           "not even an object",
           {**scans.make(task, "X"), "id": ["not", "hashable"]}]
    sent = [already] + batch + [batch[0]] + bad
    status, results = post(client, device, sent)
    assert status == 200 and len(results) == len(sent)
    assert [r["status"] for r in results] == (
        ["duplicate"] + ["stored"] * len(batch) + ["duplicate"] + ["rejected"] * len(bad))
    assert "unknown action" in results[-3]["reason"]
    assert count(ScanRecord, ScanRecord.status == "stored") == len(batch)
    assert count(ScanRecord, ScanRecord.status == "rejected") == 1
    assert count(ScanRecord) == 1 + len(batch) + 1

    status, replay = post(client, device, sent)
    assert status == 200
    assert [r["status"] for r in replay] == (
        ["duplicate"] * (len(batch) + 2) + ["rejected", "duplicate", "rejected", "rejected"])
    assert count(ScanRecord) == 1 + len(batch) + 1


def test_a_put_back_for_a_cancelled_order_is_walked_through_sync(walk, device, scans):
    """The putback task of an order cancelled mid-pick belongs to a cancelled order by
    definition: its synced scans must put the units back, not come back as conflicts
    (they did, so a list with a putback could only be finished on the online screen)."""
    task = first_task(walk)
    client = walk["app"].test_client()
    assert {r["status"] for r in post(client, device, scans.complete(task))[1]} == {"applied"}
    cancel_order(task.order_id, None, "customer cancelled")
    db.session.commit()
    putback = db.session.scalar(select(PickTask).where(
        PickTask.pick_list_id == walk["list"].id, PickTask.kind == "putback"))
    assert putback is not None and putback.order_id == task.order_id
    results = post(client, device, scans.complete(putback))[1]
    assert {r["status"] for r in results} == {"applied"}, results
    db.session.expire_all()
    assert db.session.get(PickTask, putback.id).status == "done"
    assert count(StockMovement, StockMovement.reason == "unpick") >= 1
    assert ledger_mismatches() == []
