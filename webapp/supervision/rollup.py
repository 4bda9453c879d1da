"""The hourly roll-up of picking facts, and the KPIs' one way to read them.

roll_up() summarises whole clock hours of finished pick tasks and pick scans into
KpiHour rows (per person and zone) and records how far it got. picking_facts()
answers a period from those rows where they exist and from the facts themselves
for the rest (the hour in progress, the part of a period before the first whole
hour, everything when the job has never run): the roll-up makes a month cheap to
read but is never needed for a right answer.

Facts are keyed by server time (a task's done_at, a scan's server_time), so an
hour that has ended does not change afterwards; each run still recomputes the
last LOOKBACK of hours, for transactions that committed late. Safe to run twice.
"""
from datetime import datetime, timedelta, timezone

from sqlalchemy import case, delete, func, or_, select

from ..catalog.models import Location
from ..extensions import db
from ..picking.models import PickList, PickTask
from ..sync.models import ScanRecord
from ..timeutil import aware, utcnow
from .models import KpiHour, KpiRollup

NAME = "picking-hours"
LOOKBACK = timedelta(hours=2)
FIRST_RUN = timedelta(days=31)  # the KPIs look back 30 days at most
HOUR = timedelta(hours=1)


def floor_hour(moment):
    """The start of the clock hour holding `moment`."""
    return aware(moment).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment):
    """The first whole hour at or after `moment`."""
    start = floor_hour(moment)
    return start if start == aware(moment) else start + HOUR


def _bucket(column):
    """A timestamp's clock hour as 'YYYY-MM-DD HH' text, on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc("hour", func.timezone("UTC", column)),
                            "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def _hour(text):
    """The UTC datetime of a bucket's text."""
    return datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=timezone.utc)


def roll_up(now=None):
    """Summarise the whole hours not yet summarised (and the last LOOKBACK); return how
    many hour rows were written. The caller commits."""
    until = floor_hour(now or utcnow())
    state = db.session.get(KpiRollup, NAME)
    start = aware(state.rolled_until) - LOOKBACK if state else until - FIRST_RUN
    if start >= until:
        return 0
    db.session.execute(delete(KpiHour).where(KpiHour.hour >= start, KpiHour.hour < until))
    rows = {}
    for (bucket, user, zone), (done, short, scans, wrong) in _facts(start, until).items():
        rows[(bucket, user, zone)] = {"hour": _hour(bucket), "user_id": user or 0,
                                      "zone": zone or "", "lines_done": done,
                                      "lines_short": short, "scans": scans,
                                      "wrong_scans": wrong}
    if rows:
        db.session.execute(KpiHour.__table__.insert(), list(rows.values()))
    if state is None:
        state = KpiRollup(name=NAME, rolled_until=until)
        db.session.add(state)
    state.rolled_until = until
    db.session.flush()
    return len(rows)


def _facts(start, end, zone=None, person=None):
    """{(hour text, person, zone): [lines done, lines short, scans, wrong scans]} from the
    fact tables themselves for [start, end)."""
    task_hour, scan_hour = _bucket(PickTask.done_at), _bucket(ScanRecord.server_time)
    tasks = (select(task_hour, PickList.picker_id, Location.zone,
                    func.count().filter(PickTask.status == "done"),
                    func.count().filter(PickTask.status == "short"))
             .select_from(PickTask).join(PickList, PickList.id == PickTask.pick_list_id)
             .join(Location, Location.id == PickTask.location_id)
             .where(PickTask.kind == "pick", PickTask.status.in_(("done", "short")),
                    # A task moved off a blocked bin (picking.shortage.reroute_reservations)
                    # was never walked: it is nobody's line, done or short.
                    or_(PickTask.short_reason.is_(None), PickTask.short_reason != "blocked"),
                    PickTask.done_at >= start, PickTask.done_at < end)
             .group_by(task_hour, PickList.picker_id, Location.zone))
    scans = (select(scan_hour, ScanRecord.user_id, Location.zone, func.count(),
                    func.count().filter(ScanRecord.status == "rejected"))
             .select_from(ScanRecord)
             .outerjoin(PickTask, PickTask.id == ScanRecord.task_id)
             .outerjoin(Location, Location.id == PickTask.location_id)
             .where(ScanRecord.action == "pick", ScanRecord.server_time >= start,
                    ScanRecord.server_time < end)
             .group_by(scan_hour, ScanRecord.user_id, Location.zone))
    if zone:
        tasks, scans = tasks.where(Location.zone == zone), scans.where(Location.zone == zone)
    if person:
        tasks = tasks.where(PickList.picker_id == person)
        scans = scans.where(ScanRecord.user_id == person)
    facts = {}
    for bucket, user, zone_, done, short in db.session.execute(tasks):
        facts.setdefault((bucket, user, zone_), [0, 0, 0, 0])[:2] = [done, short]
    for bucket, user, zone_, total, wrong in db.session.execute(scans):
        facts.setdefault((bucket, user, zone_), [0, 0, 0, 0])[2:] = [total, wrong]
    return facts


def picking_facts(start, end, zone=None, person=None):
    """Per person id: {done, short, hours (with a line done), scans, wrong} over
    [start, end): summary rows for the whole hours rolled up, the facts for the rest."""
    people = {}

    def add(user, done, short, scans, wrong, hours):
        row = people.setdefault(user or None, {"done": 0, "short": 0, "scans": 0,
                                               "wrong": 0, "hours": 0})
        for key, value in (("done", done), ("short", short), ("scans", scans),
                           ("wrong", wrong), ("hours", hours)):
            row[key] += value
    state = db.session.get(KpiRollup, NAME)
    rolled_to = min(aware(state.rolled_until), end) if state else None
    live = [(start, end)]
    if rolled_to is not None and rolled_to > ceil_hour(start):
        live = [(start, ceil_hour(start)), (rolled_to, end)]
        for row in db.session.execute(_rolled(ceil_hour(start), rolled_to, zone, person)):
            add(*row)
    for first, last in live:
        if first >= last:
            continue
        hours = {}
        for (bucket, user, _zone), (done, short, scans, wrong) in _facts(
                first, last, zone, person).items():
            add(user, done, short, scans, wrong, 0)
            if done:
                hours.setdefault(user, set()).add(bucket)
        for user, buckets in hours.items():
            add(user, 0, 0, 0, 0, len(buckets))
    return people


def _rolled(start, end, zone, person):
    """Per person, the sums of the summary rows of [start, end) and the hours with a line."""
    picked_hour = case((KpiHour.lines_done > 0, KpiHour.hour))
    query = (select(KpiHour.user_id, func.sum(KpiHour.lines_done),
                    func.sum(KpiHour.lines_short), func.sum(KpiHour.scans),
                    func.sum(KpiHour.wrong_scans), func.count(picked_hour.distinct()))
             .where(KpiHour.hour >= start, KpiHour.hour < end).group_by(KpiHour.user_id))
    if zone:
        query = query.where(KpiHour.zone == zone)
    if person:
        query = query.where(KpiHour.user_id == person)
    return query
