"""The counts' pages: a plan through a real RQ worker, a blind count on the handheld,
the supervisor's decision, and bad input answered with a message (never a 500)."""
import re
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from outbound_support import barcode_of, level
from webapp.accounts.models import User
from webapp.audit.models import AuditEntry
from webapp.catalog.blocks import active_block, block_location
from webapp.catalog.models import Location, StockLevel
from webapp.catalog.stock import ledger_mismatches
from webapp.counts import services as counts
from webapp.counts.models import CountLine, CountPlan, CountTask
from webapp.demo import DEMO_PASSWORD
from webapp.extensions import db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def reconciliation_queue(factory, sqlite_url):
    """The reconciliation queue, emptied before and after (other tests share its name)."""
    prefix = factory.settings(sqlite_url)["QUEUE_PREFIX"]
    queue = Queue(f"{prefix}reconciliation", connection=Redis.from_url(factory.redis))
    queue.empty()
    yield queue
    queue.empty()


def signed_in(app, role):
    """A client signed in as the demo person of that role."""
    client = app.test_client()
    answer = client.post("/login", data={"username": role, "password": DEMO_PASSWORD})
    assert answer.status_code == 302
    return client


def test_a_zone_plan_runs_on_a_real_worker_and_the_bins_reach_the_counters(
        sqlite_warehouse, sqlite_url, run_worker, reconciliation_queue):
    boss = signed_in(sqlite_warehouse, "supervisor")
    zone = db.session.scalar(select(Location.zone).where(Location.type == "storage")
                             .order_by(Location.code))
    answer = boss.post("/counts/plans", data={"kind": "zone", "zone": zone}, headers=HTMX)
    assert answer.status_code == 202 and 'hx-trigger="load delay:1s"' in answer.text
    plan_id = int(re.search(r'id="plan-(\d+)"', answer.text)[1])
    db.session.commit()
    run_worker(sqlite_url, "reconciliation")
    db.session.expire_all()
    plan = db.session.get(CountPlan, plan_id)
    assert plan.status == "finished" and plan.tasks_made > 0
    fragment = boss.get(f"/counts/plans/{plan_id}", headers=HTMX).text
    assert 'data-status="finished"' in fragment and "load delay" not in fragment
    picker_page = signed_in(sqlite_warehouse, "picker").get("/counts").text
    first = db.session.scalar(select(CountTask).where(CountTask.plan_id == plan_id)
                              .join(Location).order_by(Location.aisle, Location.bay,
                                                       Location.level, CountTask.id))
    assert f'href="/counts/{first.id}"' in picker_page
    refused = boss.post("/counts/plans", data={"kind": "zone", "zone": "NOPE"})
    assert refused.status_code == 422 and "NOPE" in refused.text
    shown = boss.post("/counts/plans", data={"kind": "zone", "zone": "NOPE"}, headers=HTMX)
    assert shown.status_code == 200 and 'role="alert"' in shown.text and "NOPE" in shown.text


def test_the_counter_never_sees_the_book_and_the_supervisor_approves_it(sqlite_warehouse):
    bin_ = db.session.scalar(select(Location).join(StockLevel).where(
        Location.type == "storage", StockLevel.quantity >= 7).order_by(Location.id))
    product_id = db.session.scalar(select(StockLevel.product_id).where(
        StockLevel.location_id == bin_.id, StockLevel.quantity >= 7))
    book = level(product_id, bin_.id)[0]
    block_location(bin_.id, product_id, None, "damaged")
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    others = db.session.execute(select(StockLevel.product_id, StockLevel.quantity).where(
        StockLevel.location_id == bin_.id, StockLevel.quantity > 0,
        StockLevel.product_id != product_id)).all()
    counter = signed_in(sqlite_warehouse, "receiver")
    page = counter.get(f"/counts/{task.id}").text
    assert bin_.code in page and f">{book}<" not in page
    answer = counter.post(f"/counts/{task.id}/scan", data={"code": bin_.code}, headers=HTMX)
    assert 'data-feedback="ok"' in answer.text and 'data-action="empty"' in answer.text
    answer = counter.post(f"/counts/{task.id}/scan",
                          data={"code": barcode_of(product_id), "qty": str(book - 1)})
    assert 'data-feedback="ok"' in answer.text and 'data-action="empty"' not in answer.text
    for bad in ("-1", "abc", "99999999999999"):
        refused = counter.post(f"/counts/{task.id}/scan",
                               data={"code": barcode_of(product_id), "qty": bad})
        assert refused.status_code == 200 and 'data-feedback="bad"' in refused.text
    for other, units in others:
        counter.post(f"/counts/{task.id}/scan", data={"code": barcode_of(other),
                                                      "qty": str(units)})
    done = counter.post(f"/counts/{task.id}/finish")
    assert 'data-count-done="1"' in done.text and f"books {book}" not in done.text
    assert counter.get("/counts/variances").status_code == 403

    boss = signed_in(sqlite_warehouse, "supervisor")
    listing = boss.get("/counts/variances").text
    line = db.session.scalar(select(CountLine).where(CountLine.status == "pending"))
    assert f'data-line-id="{line.id}"' in listing and 'data-variance="-1"' in listing
    assert f"books {book}" in listing
    assert boss.post("/counts/variances", data={"decision": "maybe", "line": [line.id]},
                     headers=HTMX).status_code == 422
    empty = boss.post("/counts/variances", data={"decision": "approve"}, headers=HTMX)
    assert 'data-feedback="bad"' in empty.text
    decided = boss.post("/counts/variances", data={"decision": "approve_all",
                                                   "shown": [str(line.id), "x"]}, headers=HTMX)
    assert "1 approved" in decided.text and "No variances wait" in decided.text
    db.session.expire_all()
    assert level(product_id, bin_.id)[0] == book - 1
    assert active_block(bin_.id, product_id) is None
    assert ledger_mismatches() == []
    # The audit trail says who approved it (the signed-in supervisor), before and after.
    boss_id = db.session.scalar(select(User.id).where(User.username == "supervisor"))
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.object_type == "count_line", AuditEntry.object_id == line.id,
        AuditEntry.user_id == boss_id))
    assert entry.old_values == {"status": "pending"} and entry.new_values == {
        "status": "approved"}
    tile = boss.get("/console/tiles/counts", headers=HTMX).text
    assert 'data-count="0" data-stage="pending"' in tile and "账实相符率" in tile
    assert "Count plans" in boss.get("/").text
    assert "账实相符" in signed_in(sqlite_warehouse, "picker").get("/").text


def test_the_counting_pages_speak_chinese(sqlite_warehouse):
    """zh-CN: the counter's list and screen in the words staff use (盘点, 库位为空)."""
    bin_ = db.session.scalar(select(Location).where(Location.type == "storage"))
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    counter = signed_in(sqlite_warehouse, "picker")
    zh = {"Accept-Language": "zh-CN"}
    assert "按货架实物盘点" in counter.get("/counts", headers=zh).text
    counter.post(f"/counts/{task.id}/scan", data={"code": bin_.code})
    assert "库位为空" in counter.get(f"/counts/{task.id}", headers=zh).text


def test_the_supervisor_sees_an_idle_claim_and_releases_it_once(sqlite_warehouse):
    """The plans page lists who holds which count since when; a counter may not release;
    the supervisor's release is audited, a second one is refused with the reason, and
    the console tile and home card count the idle claims."""
    bin_ = db.session.scalar(select(Location).where(Location.type == "storage")
                             .order_by(Location.id))
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    counter = signed_in(sqlite_warehouse, "receiver")
    counter.post(f"/counts/{task.id}/scan", data={"code": bin_.code})
    db.session.expire_all()
    task = db.session.get(CountTask, task.id)
    task.last_scan_at = task.started_at - timedelta(hours=1)  # walked away long ago
    db.session.commit()

    boss = signed_in(sqlite_warehouse, "supervisor")
    page = boss.get("/counts/plans").text
    assert f'data-claim="{task.id}" data-idle="yes"' in page and bin_.code in page
    assert "Receiver" in page or "receiver" in page
    assert 'data-count="1" data-stage="idle"' in boss.get("/console/tiles/counts",
                                                         headers=HTMX).text
    assert "1 counts claimed and left idle" in boss.get("/").text
    assert counter.post(f"/counts/{task.id}/release", headers=HTMX).status_code == 403
    assert counter.get("/counts/claims").status_code == 403
    fragment = boss.get("/counts/claims", headers=HTMX)
    assert fragment.status_code == 200 and f'data-claim="{task.id}"' in fragment.text
    opened = boss.get("/counts/claims")  # a link or a bookmark: the page it belongs to
    assert opened.status_code == 302 and opened.location.endswith("/counts/plans#claims")

    done = boss.post(f"/counts/{task.id}/release", headers=HTMX)
    assert done.status_code == 200 and 'data-feedback="ok"' in done.text
    assert f'data-claim="{task.id}"' not in done.text
    db.session.expire_all()
    fresh = db.session.scalar(select(CountTask).where(CountTask.source == f"released:{task.id}"))
    assert db.session.get(CountTask, task.id).status == "released" and fresh.status == "open"
    boss_id = db.session.scalar(select(User.id).where(User.username == "supervisor"))
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.object_type == "count_task", AuditEntry.object_id == task.id,
        AuditEntry.user_id == boss_id))
    assert entry.old_values["status"] == "counting" and entry.new_values["status"] == "released"

    again = boss.post(f"/counts/{task.id}/release", headers=HTMX)
    assert again.status_code == 200 and 'data-feedback="bad"' in again.text
    assert "only a count being counted" in again.text
    refused = boss.post(f"/counts/{fresh.id}/release")
    assert refused.status_code == 409 and "waiting for a counter" in refused.text
    assert boss.post("/counts/999999/release").status_code == 409
    # The counter, back online on the released count, is told why and where to go.
    told = counter.post(f"/counts/{task.id}/scan", data={"code": bin_.code}, headers=HTMX)
    assert 'data-feedback="bad"' in told.text and f"count {fresh.id}" in told.text
    offline = counter.get(f"/counts/{task.id}/offline")
    assert offline.status_code == 409 and f"count {fresh.id}" in offline.get_json()["error"]
    zh = boss.get("/counts/plans", headers={"Accept-Language": "zh-CN"}).text
    assert "正在盘点" in zh
