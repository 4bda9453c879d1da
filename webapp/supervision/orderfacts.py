"""The daily roll-up of order facts (cycle time, on time against the cut-off), and the
KPIs' one way to read them.

roll_up() summarises whole warehouse-local days of order events into KpiOrderDay
rows: per day, state reached ('packed') and cycle time (received → that state,
quantised), how many orders, how many had a cut-off and how many made it. A
month is then a few thousand rows instead of one per order. order_days() answers
a period from those rows for the days rolled up and from the events themselves
for the rest (today, or everything when the job has never run): the roll-up makes
a month cheap to read, never the answer right.

Cycle times are quantised before they are counted, on both paths, with the same
function: a percentile of quantised values is the quantised percentile (quantise
only ever rounds up or down to a step, keeping order), so the roll-up and the
events give the same figures to the step shown. Safe to run twice: each run
recomputes the day before the last one it rolled (late commits around midnight).
"""
import math
from bisect import bisect_right
from datetime import timedelta

from sqlalchemy import delete, select

from ..extensions import db
from ..orders.models import Order, OrderEvent
from ..timeutil import aware, utcnow
from .clock import day_start, local_date
from .models import KpiOrderDay, KpiRollup

NAME = "order-days"
STATES = ("packed",)  # handover joins when it is recorded as an order state
FIRST_RUN_DAYS = 31   # the KPIs look back 30 days at most
LOOKBACK_DAYS = 1
# (below this many minutes, round to this many): to the minute under 2 hours, to
# 5 minutes under 10 hours, to 15 under a day, to the hour beyond. A day then holds
# a few hundred distinct cycle times at most, whatever its number of orders.
STEPS = ((120, 1), (600, 5), (1440, 15), (None, 60))


def quantise(minutes):
    """A cycle time in whole minutes at the resolution STEPS gives it (never below 0:
    a device clock behind the server's does not make an order early)."""
    minutes = max(0.0, minutes)
    for below, step in STEPS:
        if below is None or minutes < below - step / 2:
            return int(round(minutes / step) * step)
    return int(minutes)


def percentile(counts, fraction):
    """The nearest-rank percentile of a histogram {value: how many} (None when empty)."""
    total = sum(counts.values())
    if not total:
        return None
    rank = max(1, math.ceil(total * fraction))
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    return None


def _empty():
    """One day's facts before any order."""
    return {"orders": 0, "with_cutoff": 0, "on_time": 0, "cycle": {}}


def _add(days, key, minutes, orders, with_cutoff, on_time):
    """Count `orders` of cycle time `minutes` into days[key]."""
    day = days.setdefault(key, _empty())
    day["orders"] += orders
    day["with_cutoff"] += with_cutoff
    day["on_time"] += on_time
    day["cycle"][minutes] = day["cycle"].get(minutes, 0) + orders


def _events(start, end, states):
    """(local day, state, quantised minutes, had a cut-off, made it) of each order event
    reaching one of `states` in [start, end), from the events themselves."""
    query = (select(OrderEvent.to_status, OrderEvent.created_at, Order.created_at,
                    Order.cutoff_at)
             .join(Order, Order.id == OrderEvent.order_id)
             .where(OrderEvent.to_status.in_(states), OrderEvent.created_at >= start,
                    OrderEvent.created_at < end))
    # The local days' starts once, not a timezone conversion per event.
    first = local_date(start)
    days = [first + timedelta(days=n) for n in range((local_date(end) - first).days + 2)]
    starts = [day_start(day) for day in days]
    for state, reached, received, cutoff in db.session.execute(query):
        reached = aware(reached)
        minutes = quantise((reached - aware(received)).total_seconds() / 60)
        yield (days[bisect_right(starts, reached) - 1], state, minutes, cutoff is not None,
               cutoff is not None and reached <= aware(cutoff))


def roll_up(now=None):
    """Summarise the whole local days not yet summarised (and the one before); return
    how many rows were written. The caller commits."""
    today = local_date(now or utcnow())
    state = db.session.get(KpiRollup, NAME)
    first = (local_date(state.rolled_until) - timedelta(days=LOOKBACK_DAYS) if state
             else today - timedelta(days=FIRST_RUN_DAYS))
    if first >= today:
        return 0
    db.session.execute(delete(KpiOrderDay).where(KpiOrderDay.day >= first,
                                                 KpiOrderDay.day < today))
    rows = {}
    for day, reached, minutes, with_cutoff, on_time in _events(
            day_start(first), day_start(today), STATES):
        row = rows.setdefault((day, reached, minutes), {
            "day": day, "state": reached, "minutes": minutes, "orders": 0,
            "with_cutoff": 0, "on_time": 0})
        row["orders"] += 1
        row["with_cutoff"] += with_cutoff
        row["on_time"] += on_time
    if rows:
        db.session.execute(KpiOrderDay.__table__.insert(), list(rows.values()))
    if state is None:
        state = KpiRollup(name=NAME, rolled_until=day_start(today))
        db.session.add(state)
    state.rolled_until = day_start(today)
    db.session.flush()
    return len(rows)


def order_days(start, end, state="packed"):
    """{local day: {orders, with_cutoff, on_time, cycle: {minutes: orders}}} of orders
    reaching `state` in [start, end), which are local midnights (clock.period_bounds):
    the summary rows for the days rolled up, the events for the rest."""
    days = {}
    rolled = db.session.get(KpiRollup, NAME)
    live_from = start
    if rolled is not None and aware(rolled.rolled_until) > start:
        live_from = min(aware(rolled.rolled_until), end)
        query = (select(KpiOrderDay.day, KpiOrderDay.minutes, KpiOrderDay.orders,
                        KpiOrderDay.with_cutoff, KpiOrderDay.on_time)
                 .where(KpiOrderDay.state == state, KpiOrderDay.day >= local_date(start),
                        KpiOrderDay.day < local_date(live_from)))
        for day, minutes, orders, with_cutoff, on_time in db.session.execute(query):
            _add(days, day, minutes, orders, with_cutoff, on_time)
    if live_from < end:
        for day, _state, minutes, with_cutoff, on_time in _events(live_from, end, (state,)):
            _add(days, day, minutes, 1, with_cutoff, on_time)
    return days
