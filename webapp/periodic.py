"""The app's periodic jobs, in one place, enqueued by rq's cron scheduler.

Add a job by appending a Periodic to PERIODIC; `python -m worker.cron` (started
by `make run`, one per deployment in production) hands every entry to an
rq.cron.CronScheduler, which enqueues each on its queue when due, and the RQ
workers run it like any other job. Periodic jobs must be safe to run twice: two
schedulers, or a run overlapping the previous one, only repeat work.
"""
from dataclasses import dataclass, field

from rq.cron import CronScheduler

from .handoff.jobs import poll_tracking
from .supervision.jobs import roll_up_kpis
from .sync.jobs import sweep_stored


@dataclass(frozen=True)
class Periodic:
    """One periodic job: the function, the app's queue name, and every N seconds or a
    cron expression (local time)."""

    func: object
    queue: str
    interval: int | None = None
    cron: str | None = None
    kwargs: dict = field(default_factory=dict)
    job_timeout: int = 3600


PERIODIC = [
    # Stored scans whose job was lost (worker killed, Redis down at enqueue, a web
    # process dying between commit and enqueue): applied within 1.5 minutes.
    Periodic(sweep_stored, "reconciliation", interval=60, kwargs={"older_than_seconds": 30}),
    # The KPIs' hourly summary of picking facts, a few minutes after each hour ends.
    Periodic(roll_up_kpis, "default", cron="5 * * * *"),
    # Ask each carrier about its parcels in transit (售后跟踪); stuck ones open a case.
    Periodic(poll_tracking, "default", interval=300, job_timeout=600),
]


def register(scheduler, queues, jobs=PERIODIC):
    """Register jobs with an rq CronScheduler; queues maps the app's queue names to
    the real ones (config QUEUES, prefix included)."""
    for job in jobs:
        scheduler.register(job.func, queues[job.queue], kwargs=dict(job.kwargs),
                           interval=job.interval, cron=job.cron, job_timeout=job.job_timeout)
    return scheduler


def scheduler(app, connection):
    """An rq CronScheduler holding the app's periodic jobs, not yet started."""
    return register(CronScheduler(connection=connection), app.config["QUEUES"])
