"""Redis connection and RQ queues, one connection per process."""
from flask import current_app
from flask_babel import gettext as _
from redis import Redis, RedisError
from rq import Queue


def redis_connection():
    """The app's Redis client (REDIS_URL may be redis:// or unix://)."""
    state = current_app.extensions.setdefault("warehouse_redis", {})
    if "conn" not in state:
        state["conn"] = Redis.from_url(current_app.config["REDIS_URL"],
                                       socket_connect_timeout=2, socket_timeout=5)
    return state["conn"]


def queue(name):
    """The RQ queue for one of the app's queue names (picking, packing, ...)."""
    return Queue(current_app.config["QUEUES"][name], connection=redis_connection())


def enqueue(name, func, *args, **kwargs):
    """Put a job on one of the app's queues and return it."""
    return queue(name).enqueue(func, *args, **kwargs)


def enqueue_for(row, name, func, *args, **kwargs):
    """Queue the job a row waits on and keep its id on the row; when Redis is down,
    mark the row failed with a message, so the page offers a retry. Commits."""
    from .extensions import db
    try:
        job = enqueue(name, func, *args, **kwargs)
    except RedisError:
        row.status, row.error = "failed", _("The job queue is unreachable; try again shortly.")
    else:
        row.job_id = job.id
    db.session.commit()
