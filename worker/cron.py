"""`python -m worker.cron`: rq's cron scheduler with the app's periodic jobs
(webapp/periodic.py). It only enqueues; the RQ workers run the jobs."""
import logging

from webapp import create_app, periodic
from webapp.queues import redis_connection

log = logging.getLogger("worker.cron")


def main():
    """Register the periodic jobs and run rq's scheduler until stopped."""
    app = create_app()
    with app.app_context():
        connection = redis_connection()
    scheduler = periodic.scheduler(app, connection)
    log.info("cron scheduler: %d periodic job(s)", len(scheduler.get_jobs()))
    scheduler.start()


if __name__ == "__main__":
    main()
