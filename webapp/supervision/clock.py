"""The warehouse's day and ages: 'today' is the warehouse's local day, not UTC's."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app

from ..timeutil import aware, utcnow

PERIODS = {"today": 0, "7d": 7, "30d": 30}


def warehouse_zone():
    """The warehouse's timezone (WAREHOUSE_TIMEZONE)."""
    return ZoneInfo(current_app.config["WAREHOUSE_TIMEZONE"])


def day_bounds(now=None):
    """(start, end) of the warehouse's local day containing `now`, in UTC."""
    zone = warehouse_zone()
    local = (now or utcnow()).astimezone(zone)
    start = datetime.combine(local.date(), time(), tzinfo=zone)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def period_bounds(period, now=None):
    """(start, end) in UTC of 'today', '7d' (today and the 6 days before) or '30d'."""
    days = PERIODS.get(period, 0)
    start, end = day_bounds(now)
    return start - timedelta(days=max(days - 1, 0)), end


def age_seconds(moment, now=None):
    """Seconds since `moment` (None stays None)."""
    if moment is None:
        return None
    return max(0, int(((now or utcnow()) - aware(moment)).total_seconds()))


def local_time(moment):
    """`moment` in the warehouse's timezone, for display."""
    return aware(moment).astimezone(warehouse_zone()) if moment else None


def local_date(moment):
    """The warehouse's local day holding `moment`."""
    return local_time(moment).date()


def day_start(day):
    """The UTC moment the warehouse's local `day` (a date) begins."""
    return datetime.combine(day, time(), tzinfo=warehouse_zone()).astimezone(timezone.utc)
