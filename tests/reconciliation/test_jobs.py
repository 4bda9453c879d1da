"""The ledger check: the job called directly, and through a real RQ worker on both databases."""
import re
import socket

import pytest
from sqlalchemy import update

from webapp.accounts.services import create_user
from webapp.catalog.models import StockLevel
from webapp.catalog.stock import move_stock
from webapp.extensions import db
from webapp.reconciliation import jobs
from webapp.reconciliation.jobs import check_ledger
from webapp.reconciliation.models import ReconciliationRun
from webapp.reconciliation.services import request_run

HTMX = {"HX-Request": "true"}
POLLS = 'hx-trigger="load delay:1s"'


@pytest.fixture
def stocked(make_catalog):
    """The small catalog with stock on both locations, through the ledger."""
    c = make_catalog()
    move_stock(c["p1"].id, 5, reason="opening", to_location_id=c["a"].id)
    move_stock(c["p2"].id, 4, reason="opening", to_location_id=c["b"].id)
    db.session.commit()
    return c


def new_run():
    """A committed queued run."""
    run = request_run(None)
    db.session.commit()
    return run.id


def run_state(run_id):
    """The run as the database has it now."""
    db.session.expire_all()
    return db.session.get(ReconciliationRun, run_id)


def status_of(fragment):
    """The run status a fragment shows."""
    return re.search(r'data-status="(\w+)"', fragment)[1]


def run_id_of(fragment):
    """The run id in a fragment's root element."""
    return int(re.search(r'id="run-(\d+)"', fragment)[1])


# ---------------------------------------------------------------- called directly
def test_check_finds_nothing_when_levels_match_the_ledger(any_app, stocked):
    """Finished, every level checked, no mismatch; safe to run again."""
    run_id = new_run()
    assert check_ledger(run_id) == {"run_id": run_id, "mismatches": 0}
    run = run_state(run_id)
    assert (run.status, run.levels_checked, run.mismatch_count) == ("finished", 2, 0)
    assert run.started_at and run.finished_at and run.error is None
    assert check_ledger(run_id) == {"run_id": run_id, "mismatches": 0}


def test_check_records_a_level_changed_behind_the_ledger(any_app, stocked):
    """A level edited with SQL is reported with its book and ledger quantities."""
    c = stocked
    db.session.execute(update(StockLevel).where(StockLevel.location_id == c["a"].id)
                       .values(quantity=9))
    db.session.commit()
    run_id = new_run()
    assert check_ledger(run_id)["mismatches"] == 1
    assert run_state(run_id).mismatches == [{"product_id": c["p1"].id,
                                             "location_id": c["a"].id, "book": 9, "ledger": 5}]


def test_a_mismatch_is_shown_by_sku_and_location_code(app, stocked, login_as):
    """People read SKUs and location codes, never the database's ids."""
    c = stocked
    db.session.execute(update(StockLevel).where(StockLevel.location_id == c["a"].id)
                       .values(quantity=9))
    db.session.commit()
    run_id = new_run()
    check_ledger(run_id)
    page = login_as("supervisor").get(f"/reconciliation/runs/{run_id}").get_data(as_text=True)
    row = re.search(r'<tr data-product-id="\d+">(.*?)</tr>', page, re.S)[1]
    assert "<code>SKU-1</code>" in row and "<code>A-01-01-1</code>" in row
    assert f"<td>{c['p1'].id}</td>" not in row


def test_check_of_a_missing_run_does_nothing(any_app):
    """A job whose run was deleted ends quietly."""
    assert check_ledger(424242) == {"missing_run": 424242}


def test_a_failing_check_is_recorded_and_re_raised(any_app, stocked, monkeypatch):
    """The run shows failed with the reason; the error reaches RQ (its failed registry)."""
    def broken(_run):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(jobs, "perform_run", broken)
    run_id = new_run()
    with pytest.raises(RuntimeError):
        check_ledger(run_id)
    run = run_state(run_id)
    assert run.status == "failed" and run.error == "RuntimeError: disk on fire"


# ---------------------------------------------------------------- through a real worker
def work(db_url, run_worker):
    """Run a burst worker on the reconciliation queue.

    The test's transaction ends first: on SQLite it holds the write lock the
    worker process needs.
    """
    db.session.commit()
    run_worker(db_url, "reconciliation")


def start_and_work(client, db_url, run_worker):
    """POST a new run (202, polling fragment), run a burst worker, return the run id."""
    response = client.post("/reconciliation/runs", headers=HTMX)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 202
    assert status_of(fragment) == "queued" and POLLS in fragment
    run_id = run_id_of(fragment)
    assert f'hx-get="/reconciliation/runs/{run_id}"' in fragment
    work(db_url, run_worker)
    return run_id


def assert_finished_on_the_page(client, run_id):
    """The fragment now says finished and stops polling; the full page too."""
    fragment = client.get(f"/reconciliation/runs/{run_id}", headers=HTMX).get_data(as_text=True)
    assert status_of(fragment) == "finished" and POLLS not in fragment
    assert "stock levels match the ledger" in fragment
    page = client.get(f"/reconciliation/runs/{run_id}").get_data(as_text=True)
    assert "<html" in page and 'data-status="finished"' in page


def test_worker_runs_the_check_on_sqlite(login_as, stocked, sqlite_url, run_worker):
    """A supervisor starts a check; a real worker process finishes it."""
    supervisor = login_as("supervisor")
    run_id = start_and_work(supervisor, sqlite_url, run_worker)
    assert run_state(run_id).status == "finished"
    assert_finished_on_the_page(supervisor, run_id)


def test_worker_runs_the_check_on_postgresql(pg_app, pg_database, run_worker):
    """The same path with the web app and the worker on PostgreSQL."""
    create_user("boss", "pw-123456", ["supervisor"])
    db.session.commit()
    client = pg_app.test_client()
    assert client.post("/login", data={"username": "boss",
                                       "password": "pw-123456"}).status_code == 302
    run_id = start_and_work(client, pg_database, run_worker)
    assert run_state(run_id).status == "finished"
    assert_finished_on_the_page(client, run_id)


# ---------------------------------------------------------------- failure and retry
@pytest.fixture
def queue_down_client(factory, sqlite_url, login_as):
    """A supervisor on an app whose Redis refuses connections (same database)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        app = factory.get(sqlite_url, REDIS_URL=f"redis://127.0.0.1:{sock.getsockname()[1]}/0")
        yield login_as("supervisor", client=app.test_client())


def test_a_run_that_could_not_be_queued_fails_and_is_retried(queue_down_client, login_as,
                                                             stocked, sqlite_url, run_worker):
    """Queue down: the run fails with the reason and a Retry; once up, retry finishes it."""
    fragment = queue_down_client.post("/reconciliation/runs",
                                      headers=HTMX).get_data(as_text=True)
    run_id = run_id_of(fragment)
    assert status_of(fragment) == "failed" and POLLS not in fragment
    assert "job queue is unreachable" in fragment
    assert f'hx-post="/reconciliation/runs/{run_id}/retry"' in fragment

    supervisor = login_as("supervisor")
    retried = supervisor.post(f"/reconciliation/runs/{run_id}/retry", headers=HTMX)
    assert retried.status_code == 200
    assert status_of(retried.get_data(as_text=True)) == "queued"
    work(sqlite_url, run_worker)
    assert run_state(run_id).status == "finished" and run_state(run_id).error is None
    assert_finished_on_the_page(supervisor, run_id)


def test_only_a_failed_run_can_be_retried(login_as):
    """Retrying a queued or finished run is a conflict (409)."""
    run_id = new_run()
    assert login_as("supervisor").post(f"/reconciliation/runs/{run_id}/retry").status_code == 409
