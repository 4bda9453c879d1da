"""The app's RQ queues, workers and failed jobs, read and acted on through rq's own API
(Queue, the job registries, Job, Worker): never by reading Redis keys by hand.

Counting a registry runs rq's own cleanup, so a job whose worker died (its
execution expired in the StartedJobRegistry) is moved by rq to the failed
registry with an AbandonedJobError; it is listed there as abandoned and
requeued like any failed job.
"""
import re

from flask import current_app
from flask_babel import gettext as _
from rq import Queue, Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from ..queues import redis_connection

FAILED_SHOWN = 50
_JOB_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


class QueueError(ValueError):
    """An action on a job that is not possible; the message is shown."""


def _queues():
    """(app name, rq Queue) for each of the app's queues, prefix included."""
    connection = redis_connection()
    return [(key, Queue(name, connection=connection))
            for key, name in current_app.config["QUEUES"].items()]


def queue_for(key):
    """The rq Queue of one of the app's queue names, or QueueError."""
    name = current_app.config["QUEUES"].get(key)
    if name is None:
        raise QueueError(_("No such queue."))
    return Queue(name, connection=redis_connection())


def queue_stats():
    """One row per queue: queued, started, deferred, scheduled, finished, failed."""
    return [{"key": key, "name": q.name, "queued": q.count,
             "started": q.started_job_registry.count,
             "deferred": q.deferred_job_registry.count,
             "scheduled": q.scheduled_job_registry.count,
             "finished": q.finished_job_registry.count,
             "failed": q.failed_job_registry.count} for key, q in _queues()]


def tile_stats():
    """The console tile's numbers, and only those: per queue waiting, running (after
    rq's cleanup of the started registry, so an abandoned job is not shown running) and
    failed; how many workers listen on any of the queues. A third of queue_stats()'s
    round trips to Redis: the tile is read on every poll of every open console."""
    rows, names = [], set()
    for key, q in _queues():
        rows.append({"key": key, "name": q.name, "queued": q.count,
                     "started": q.started_job_registry.count,
                     "failed": q.failed_job_registry.get_job_count(cleanup=False)})
        names.update(Worker.all_keys(queue=q))
    return rows, len(names)


def workers():
    """The workers listening on any of the app's queues: state, current job, heartbeat."""
    seen, rows = set(), []
    for _key, q in _queues():
        for worker in Worker.all(queue=q):
            if worker.name in seen:
                continue
            seen.add(worker.name)
            job = worker.get_current_job()
            rows.append({"name": worker.name, "state": str(getattr(worker.get_state(), "value",
                                                                    worker.get_state())),
                         "queues": ", ".join(worker.queue_names()), "hostname": worker.hostname,
                         "pid": worker.pid, "job": _describe(job) if job else None,
                         "last_heartbeat": worker.last_heartbeat})
    return sorted(rows, key=lambda row: row["name"])


def failed_jobs(key, limit=FAILED_SHOWN):
    """The newest failed jobs of a queue, described for people."""
    registry = queue_for(key).failed_job_registry
    ids = registry.get_job_ids(0, limit - 1, desc=True)
    jobs = Job.fetch_many(ids, connection=redis_connection())
    return [_describe(job) for job in jobs if job is not None]


def _describe(job):
    """What a supervisor needs to know about a job."""
    result = job.latest_result()
    error = result.exc_string if result is not None and result.exc_string else ""
    return {"id": job.id, "func": job.func_name, "args": _short(repr(tuple(job.args))),
            "kwargs": _short(repr(job.kwargs)) if job.kwargs else "",
            "error": _last_line(error), "traceback": error[-4000:],
            "abandoned": "AbandonedJobError" in error,
            "enqueued_at": job.enqueued_at, "started_at": job.started_at,
            "ended_at": job.ended_at or (result.created_at if result else None)}


def _short(text, size=300):
    """Arguments can be long (a batch id list): keep the start."""
    return text if len(text) <= size else text[:size] + "…"


def _last_line(text):
    """The exception line of a traceback."""
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else ""


def _failed_job(key, job_id):
    """(registry, job) for a job in a queue's failed registry, or QueueError."""
    registry = queue_for(key).failed_job_registry
    if not isinstance(job_id, str) or not _JOB_ID.match(job_id) or job_id not in registry:
        raise QueueError(_("This job is no longer among the failed jobs."))
    return registry, job_id


def retry(key, job_id):
    """Put one failed (or abandoned) job back on its queue."""
    registry, job_id = _failed_job(key, job_id)
    try:
        return registry.requeue(job_id)
    except (InvalidJobOperation, NoSuchJobError) as error:
        raise QueueError(_("This job is no longer among the failed jobs.")) from error


def delete(key, job_id):
    """Delete one failed job (its record and result)."""
    registry, job_id = _failed_job(key, job_id)
    try:
        Job.fetch(job_id, connection=redis_connection()).delete()
    except NoSuchJobError:
        registry.remove(job_id)  # the job expired; drop the dangling entry


def retry_all(key):
    """Requeue every failed job of a queue; return how many."""
    registry = queue_for(key).failed_job_registry
    done = 0
    for job_id in registry.get_job_ids():
        try:
            registry.requeue(job_id)
            done += 1
        except (InvalidJobOperation, NoSuchJobError):
            continue  # retried meanwhile by someone else
    return done


def delete_all(key):
    """Delete every failed job of a queue; return how many."""
    registry = queue_for(key).failed_job_registry
    done = 0
    for job_id in registry.get_job_ids():
        try:
            delete(key, job_id)
            done += 1
        except QueueError:
            continue
    return done
