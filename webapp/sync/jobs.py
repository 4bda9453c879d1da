"""RQ jobs of the reconciliation queue that apply synced scans.

A stored scan must never be left behind: a worker killed mid-job, Redis down at
enqueue, or the web process dying between its commit and its enqueue would each
strand scans `stored` while the device, told `stored`, has dropped them. Three
things apply them whatever happened: each batch job applies its devices' whole
backlog (earlier stranded batches first, by sequence), a sweep runs when a worker
starts and on rq's schedule (webapp/periodic.py), and the batch job has RQ's retry.
"""
import logging
from datetime import timedelta

from redis.exceptions import RedisError
from rq import Retry

from ..queues import enqueue
from . import applying

log = logging.getLogger(__name__)
# Retry a failed apply (database restarting, a deadlock victim...) after 10 s, 1 min, 5 min.
RETRY = Retry(max=3, interval=[10, 60, 300])
JOB_TIMEOUT = 3600


def apply_scan_batch(batch_id):
    """Apply one stored batch with its devices' whole backlogs; safe to run twice."""
    return applying.apply_backlogs(applying.backlog_devices(batch_id=batch_id))


def sweep_stored(older_than_seconds=0):
    """Apply every device's backlog holding scans stored longer than older_than_seconds:
    the scans whose job was lost. Safe to run twice and beside the batch jobs."""
    devices = applying.backlog_devices(older_than=timedelta(seconds=older_than_seconds))
    counts = applying.apply_backlogs(devices)
    if counts:
        log.warning("sweep applied stranded scans of %d device(s): %s", len(devices), counts)
    return counts


def queue_batch(batch_id):
    """Queue the job for a stored batch; with Redis down, log it and leave the scans
    stored for the sweep. Returns the job or None."""
    try:
        return enqueue("reconciliation", apply_scan_batch, batch_id, job_timeout=JOB_TIMEOUT,
                       retry=RETRY)
    except RedisError as error:
        log.warning("batch %s stored but not queued (%s); the sweep will apply it",
                    batch_id, error)
        return None


def queue_sweep():
    """Queue a sweep of every stored scan (a worker starting: nothing may wait on a job
    that died with the last worker)."""
    return enqueue("reconciliation", sweep_stored, 0, job_timeout=JOB_TIMEOUT, retry=RETRY)
