"""The RQ worker: builds the app once and runs every job inside its context."""
import logging

from rq import Worker

from webapp import create_app
from webapp.audit.trail import acting_as_system
from webapp.extensions import db
from webapp.queues import redis_connection

log = logging.getLogger("worker")


class AppWorker(Worker):
    """A forking RQ worker whose jobs run inside the Flask app context.

    The app (config, engine, extensions) is built once in the parent; each job
    runs in a forked work horse, which must not reuse the parent's database
    connections, so it drops them (without closing the parent's sockets).
    """

    flask_app = None

    def perform_job(self, job, queue, *args, **kwargs):
        """Run one job in the work horse, inside the app context."""
        with self.flask_app.app_context(), acting_as_system(job.func_name.rsplit(".", 1)[-1]):
            # The system is the actor of a job no person asked for (a periodic sweep);
            # a job run for someone names them itself (audit.trail.acting_for).
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


def build(app=None, queue_names=None, name=None):
    """Create the worker for the app's queues (or the named subset)."""
    app = app or create_app()
    with app.app_context():
        connection = redis_connection()
        queues = [app.config["QUEUES"][q] for q in (queue_names or app.config["QUEUES"])]
    AppWorker.flask_app = app
    return AppWorker(queues, connection=connection, name=name)


def main(argv=None):
    """`python -m worker [queue ...] [--burst]`: run until stopped (or the queues drain)."""
    import argparse
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("queues", nargs="*", help="picking packing reconciliation default")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args(argv)
    worker = build(queue_names=args.queues or None)
    log.info("worker listening on %s", ", ".join(q.name for q in worker.queues))
    sweep_at_start(worker)
    # with_scheduler: rq's scheduler moves jobs due later (Retry intervals, enqueue_in)
    # onto their queues; one worker at a time holds its lock.
    worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")


def sweep_at_start(worker):
    """Queue a sweep of stored scans: a job that died with the previous worker left
    its scans stored, and nothing else would look at them before the next schedule."""
    from webapp.sync.jobs import queue_sweep
    app = worker.flask_app
    if app.config["QUEUES"]["reconciliation"] not in {q.name for q in worker.queues}:
        return
    with app.app_context():
        queue_sweep()
