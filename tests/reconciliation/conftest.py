"""Reconciliation tests: each starts with an empty reconciliation queue."""
import pytest
from redis import Redis
from rq import Queue


@pytest.fixture(autouse=True)
def empty_reconciliation_queue(factory, sqlite_url):
    """Drop jobs other tests left, so a worker here runs only this test's jobs.

    SQLite and PostgreSQL apps share the queue names; a stale job would be run
    against the wrong database.
    """
    prefix = factory.settings(sqlite_url)["QUEUE_PREFIX"]
    queue = Queue(f"{prefix}reconciliation", connection=Redis.from_url(factory.redis))
    queue.empty()
    yield queue
    queue.empty()
