"""Counting's scans as a sync action: a count made offline runs the online rules.

`count`: subject_id is the count task; payload {step: scan|empty|finish} (scan when
absent): a scan is the location or an item with its quantity; empty and finish close
the count. The book each line is judged against is the one at the device's time.
"""
from datetime import timezone

from ..sync.actions import Conflict, Rejected, register
from . import services

STEPS = ("scan", "empty", "finish")


def _step(record):
    """The step a scan names; scan when it names none."""
    return (record.payload or {}).get("step", "scan")


def check_count(record):
    """The step must be known before the scan is stored."""
    return None if _step(record) in STEPS else "payload.step must be scan, empty or finish"


def _device_time(record):
    """The device's time of the scan, in UTC (naive times are UTC)."""
    at = record.device_time
    if at is None:
        return None
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def apply_count(record):
    """A count scan: conflicts when the count was finished or taken meanwhile."""
    step, at = _step(record), _device_time(record)
    try:
        if step == "empty":
            outcome = services.confirm_empty(record.subject_id, record.user_id,
                                             record.device_id, at)
        elif step == "finish":
            outcome = services.finish(record.subject_id, record.user_id, record.device_id, at)
        else:
            outcome = services.scan(record.subject_id, record.user_id, record.code,
                                    record.quantity, device_id=record.device_id, at=at)
    except services.TaskGone as error:
        raise Conflict(str(error)) from error
    except services.CountError as error:
        raise Rejected(str(error)) from error
    if not outcome.ok:
        raise Rejected(outcome.message)
    return outcome.message


register("count", roles=set(services.COUNTER_ROLES), needs=("subject_id",),
         apply=apply_count, check=check_count)
