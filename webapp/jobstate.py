"""Read an RQ job's state for the UI, tolerating a Redis that is down."""
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job

from .queues import redis_connection


def job_status(job_id):
    """'queued', 'started', 'finished', 'failed', ... or 'unknown' / 'unreachable'."""
    if not job_id:
        return "unknown"
    try:
        status = Job.fetch(job_id, connection=redis_connection()).get_status(refresh=True)
        return getattr(status, "value", status)
    except NoSuchJobError:
        return "unknown"
    except RedisError:
        return "unreachable"
