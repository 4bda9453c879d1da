"""The hourly roll-up: the KPIs read the same numbers from summary rows as from the
facts (both databases), runs are repeatable, late facts within the look-back are
caught, and the job runs on a real worker as rq's cron scheduler enqueues it."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from webapp import periodic
from webapp.extensions import db
from webapp.queues import redis_connection
from webapp.supervision import kpis, rollup
from webapp.supervision.models import KpiHour, KpiRollup
from webapp.timeutil import utcnow

NOON = datetime(2026, 11, 20, 4, 30, tzinfo=timezone.utc)  # 12:30 in Shanghai


def at(hour, minute, day=20):
    """A moment in UTC on a November day."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def picked(floor):
    """Lines and scans spread over two days, two zones, two people."""
    f = floor
    f.pick_list(f.alice, tasks=[("done", "A", at(3, 5)), ("done", "A", at(3, 40)),
                                ("done", "B", at(4, 10)), ("short", "A", at(1, 0))])
    f.pick_list(f.bob, tasks=[("done", "B", at(4, 0)), ("short", "B", at(4, 5)),
                              ("done", "B", at(15, 50, day=19))])
    for n in range(4):
        f.scan(f.alice, "applied", at=at(2, n))
    f.scan(f.alice, "rejected", at=at(4, 20), reason="wrong item")
    f.scan(f.bob, "rejected", at=at(16, 10, day=19))
    db.session.commit()
    return f


def every_answer(f):
    """The three picking KPIs for every period, zone and person."""
    answers = []
    for func_ in (kpis.lines_per_hour, kpis.short_pick_rate, kpis.pick_accuracy):
        for period in ("today", "7d", "30d"):
            for filters in ({}, {"zone": "A"}, {"zone": "B"}, {"person": f.bob.id}):
                answers.append(sorted(func_(period, now=NOON, **filters).rows))
    return answers


def test_rolled_up_answers_equal_the_facts(picked):
    live = every_answer(picked)
    assert any(live)
    written = rollup.roll_up(now=NOON)
    db.session.commit()
    assert written > 0
    state = db.session.get(KpiRollup, rollup.NAME)
    assert rollup.floor_hour(state.rolled_until) == at(4, 0)
    assert every_answer(picked) == live
    rollup.roll_up(now=NOON)  # again: the same rows, not twice as many
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(KpiHour)) == written
    assert every_answer(picked) == live


def test_late_fact_within_the_lookback_is_counted(picked):
    rollup.roll_up(now=NOON)
    db.session.commit()
    picked.pick_list(picked.alice, tasks=[("done", "A", at(3, 30))])  # committed late
    db.session.commit()
    # the 03:00 hour was summarised before the line arrived: not counted yet...
    assert kpis.lines_per_hour("today", now=NOON, zone="A").rows == [["Alice", 2, 1, 2.0]]
    rollup.roll_up(now=NOON + timedelta(hours=1))  # ...the next run looks back 2 hours
    db.session.commit()
    assert kpis.lines_per_hour("today", now=NOON, zone="A").rows == [["Alice", 3, 1, 3.0]]
    db.session.delete(db.session.get(KpiRollup, rollup.NAME))  # the facts alone agree
    db.session.commit()
    assert kpis.lines_per_hour("today", now=NOON, zone="A").rows == [["Alice", 3, 1, 3.0]]


def test_no_facts_no_rows(floor):
    assert rollup.roll_up(now=NOON) == 0
    db.session.commit()
    assert kpis.lines_per_hour("30d", now=NOON).rows == []


def test_periodic_job_is_registered_and_runs_on_the_real_worker(app, sqlite_floor, run_worker,
                                                               sqlite_url):
    now = utcnow()
    sqlite_floor.pick_list(sqlite_floor.alice, tasks=[("done", "A", now - timedelta(hours=2))])
    db.session.commit()
    scheduler = periodic.scheduler(app, redis_connection())
    [cron] = [job for job in scheduler.get_jobs() if job.func_name.endswith("roll_up_kpis")]
    assert cron.queue_name == app.config["QUEUES"]["default"] and cron.cron == "5 * * * *"
    job = cron.enqueue(redis_connection())  # what the scheduler does when it is due
    run_worker(sqlite_url, "default")
    assert job.get_status(refresh=True) == "finished"
    db.session.expire_all()
    rows = db.session.scalars(select(KpiHour)).all()
    assert [(r.lines_done, r.zone) for r in rows] == [(1, "A")]
    assert db.session.get(KpiRollup, rollup.NAME) is not None


@pytest.fixture
def shipped(floor):
    """Orders packed over a month: every day some, with cut-offs made and missed, cycle
    times from minutes to two days, one packed 00:10 local (a day's first minutes), and
    today's orders (not rolled up: read live)."""
    f = floor
    for day in range(1, 35):
        for n in range(day % 5 + 1):
            packed = NOON - timedelta(days=day, minutes=37 * n)
            minutes = (7, 95, 118.6, 431, 1437, 2900)[(day + n) % 6] + n / 3
            cutoff = (None, packed + timedelta(minutes=1), packed - timedelta(hours=1))[n % 3]
            f.packed(created=packed - timedelta(minutes=minutes), packed_at=packed,
                     cutoff=cutoff)
    f.packed(created=at(15, 0, day=18), packed_at=at(16, 10, day=18), cutoff=at(16, 0, day=18))
    f.packed(created=at(1, 0), packed_at=at(2, 0), cutoff=at(3, 0))
    f.packed(created=at(1, 0), packed_at=at(4, 0), cutoff=at(3, 0))
    db.session.commit()
    return f


def order_answers():
    """Cycle time and on time for every period."""
    return [kpis.cycle_time(period, now=NOON).rows + kpis.on_time(period, now=NOON).rows
            for period in ("today", "7d", "30d")]


def test_daily_order_roll_up_gives_the_figures_of_the_events(shipped):
    from webapp.supervision import orderfacts
    from webapp.supervision.models import KpiOrderDay
    direct = order_answers()  # nothing rolled up: every figure from the order events
    assert all(direct) and len(direct[2]) > 30
    written = orderfacts.roll_up(now=NOON)
    db.session.commit()
    assert written > 0
    # a day is a handful of rows, not one per order
    assert written < db.session.scalar(select(func.count()).select_from(KpiOrderDay)) + 1
    assert db.session.get(KpiRollup, orderfacts.NAME).rolled_until.replace(
        tzinfo=timezone.utc) == at(16, 0, day=19)  # Shanghai's midnight of the 20th
    assert order_answers() == direct
    orderfacts.roll_up(now=NOON)  # again: the same rows, not twice as many
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(KpiOrderDay)) == written
    assert order_answers() == direct
    # a late packing of yesterday is caught by the next run's look-back
    shipped.packed(created=at(2, 0, day=19), packed_at=at(3, 0, day=19))
    db.session.commit()
    orderfacts.roll_up(now=NOON + timedelta(hours=1))
    db.session.commit()
    rolled = order_answers()
    db.session.delete(db.session.get(KpiRollup, orderfacts.NAME))
    db.session.commit()
    assert rolled == order_answers() != direct


def test_the_periodic_job_rolls_up_orders_too(shipped):
    from webapp.supervision.jobs import roll_up_kpis
    from webapp.supervision.models import KpiOrderDay
    roll_up_kpis()
    assert db.session.scalar(select(func.count()).select_from(KpiOrderDay)) > 0
