"""Background jobs write the audit trail as the person who asked for them (a wave's
creator, a shipment's packer), or as the named system when nobody did; through a
real RQ worker, on SQLite and on PostgreSQL."""
import json

from sqlalchemy import select

from outbound_support import order_payload, stocked_skus
from webapp.audit.models import AuditEntry
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.picking.models import Wave
from webapp.queues import queue


def _db_url():
    """The URL of the database under test, for the worker process."""
    return db.engine.url.render_as_string(hide_password=False)


def _orders(count):
    """Valid orders waiting for a wave; their ids."""
    skus = stocked_skus(count)
    ids = [intake(order_payload(5000 + n, [(sku, 1)])).order_id for n, sku in enumerate(skus)]
    db.session.commit()
    return ids


def _entries_of_orders(order_ids):
    """The audit entries of these orders' moves to allocated (written by the wave)."""
    return [e for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "order", AuditEntry.object_id.in_(order_ids)))
        if (e.new_values or {}).get("status") == "allocated"]


def test_a_wave_planned_by_the_worker_names_its_creator(warehouse, sign_in, user_id,
                                                        run_worker):
    order_ids = _orders(3)
    queue("picking").empty()
    supervisor = sign_in(warehouse.test_client(), "supervisor")
    answer = supervisor.post("/waves", data={"max_orders": "10", "max_lines": "50"})
    assert answer.status_code == 202
    boss, url = user_id("supervisor"), _db_url()
    db.session.commit()
    db.session.close()  # the worker writes to the same database

    run_worker(url, "picking")

    wave = db.session.scalar(select(Wave).order_by(Wave.id.desc()).limit(1))
    assert wave.status == "finished", wave.error
    allocated = _entries_of_orders(order_ids)
    assert len(allocated) == 3
    assert {(e.user_id, e.why) for e in allocated} == {(boss, "job:plan_wave")}
    lists = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "pick_list", AuditEntry.action == "created")).all()
    assert lists and {e.user_id for e in lists} == {boss}
    # The audit screen names the supervisor and says a background job did it.
    page = supervisor.get("/audit?object_type=order").get_data(as_text=True)
    assert "supervisor" in page and "background job plan_wave" in page


def test_a_wave_nobody_asked_for_is_the_systems(warehouse, sign_in, run_worker):
    """A wave made without a person (by a script) is shown as the system's, by name,
    and the person filter finds it as "system"."""
    order_ids = _orders(2)
    queue("picking").empty()
    from webapp.picking.jobs import plan_wave
    from webapp.queues import enqueue_for
    wave = Wave(params_json=json.dumps({"max_orders": 10, "max_lines": 50}))
    db.session.add(wave)
    db.session.commit()
    enqueue_for(wave, "picking", plan_wave, wave.id)
    url = _db_url()
    db.session.close()

    run_worker(url, "picking")

    allocated = _entries_of_orders(order_ids)
    assert len(allocated) == 2
    assert {(e.user_id, e.why) for e in allocated} == {(None, "system:plan_wave")}
    supervisor = sign_in(warehouse.test_client(), "supervisor")
    page = supervisor.get("/audit?person=system&object_type=order").get_data(as_text=True)
    assert "system job plan_wave" in page
    assert f'data-entry="{allocated[0].id}"' in page
    csv = supervisor.get("/audit.csv?person=system&object_type=order").get_data(as_text=True)
    assert ",system," in csv and "system job plan_wave" in csv
    # A person's name in the filter does not find the system's entries.
    named = supervisor.get("/audit?person=supervisor&object_type=order").get_data(as_text=True)
    assert f'data-entry="{allocated[0].id}"' not in named


def test_the_periodic_tracking_poll_is_the_named_system(sqlite_warehouse, make_planned,
                                                        user_id, sqlite_url, run_worker):
    """Nobody asks for the poll: the cases it opens are the system's, by the job's name
    (the worker's default actor), not a blank."""
    from test_tracking import handed_over
    from webapp.handoff.jobs import poll_tracking
    handed_over(make_planned, user_id, 10, days_ago=5)
    queue("default").empty()
    queue("default").enqueue(poll_tracking)
    db.session.close()

    run_worker(sqlite_url, "default")

    opened = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "after_sales_case", AuditEntry.action == "created")).all()
    assert opened and {(e.user_id, e.why) for e in opened} == {(None, "system:poll_tracking")}
