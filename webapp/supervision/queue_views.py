"""The RQ page of the console: queues, workers, failed jobs; retry and delete."""
from flask import abort, render_template
from flask_babel import gettext as _
from redis.exceptions import RedisError

from ..access import allow
from . import jobqueues
from .views import SUPERVISORS, bp


@bp.route("/console/queues", endpoint="queues")
@allow(*SUPERVISORS)
def queues_page():
    """Every queue with its counts, the workers, and each queue's failed jobs."""
    return render_template("supervision/queues.html", **_state())


@bp.route("/console/queues/state")
@allow(*SUPERVISORS)
def queues_state():
    """The queues fragment (polled while the page is visible)."""
    return render_template("supervision/_queues.html", **_state())


def _state(message=None, error=None):
    """What the page shows; Redis down is said plainly, not a 500."""
    try:
        stats, workers = jobqueues.queue_stats(), jobqueues.workers()
        failed = {row["key"]: jobqueues.failed_jobs(row["key"]) for row in stats if row["failed"]}
    except RedisError:
        return {"unreachable": True, "stats": [], "workers": [], "failed": {},
                "message": message, "error": error}
    return {"unreachable": False, "stats": stats, "workers": workers, "failed": failed,
            "message": message, "error": error}


@bp.route("/console/queues/<queue>/jobs/<job_id>/<action>", methods=["POST"])
@allow(*SUPERVISORS)
def job_action(queue, job_id, action):
    """Retry or delete one failed job; answer with the queues fragment."""
    actions = {"retry": (jobqueues.retry, _("Job queued again.")),
               "delete": (jobqueues.delete, _("Job deleted."))}
    if action not in actions:
        abort(404)
    func, done = actions[action]
    return _act(lambda: func(queue, job_id), lambda _result: done)


@bp.route("/console/queues/<queue>/failed/<action>", methods=["POST"])
@allow(*SUPERVISORS)
def queue_action(queue, action):
    """Retry or delete every failed job of a queue."""
    actions = {"retry": (jobqueues.retry_all, lambda n: _("%(n)d jobs queued again.", n=n)),
               "delete": (jobqueues.delete_all, lambda n: _("%(n)d jobs deleted.", n=n))}
    if action not in actions:
        abort(404)
    func, done = actions[action]
    return _act(lambda: func(queue), done)


def _act(run, say):
    """Run an action on the queues and render the fragment with its outcome."""
    try:
        result = run()
    except jobqueues.QueueError as problem:
        status = 404 if str(problem) == _("No such queue.") else 409
        return render_template("supervision/_queues.html",
                               **_state(error=str(problem))), status
    except RedisError:
        return render_template("supervision/_queues.html",
                               **_state(error=_("The job queue is unreachable; try again "
                                                "shortly."))), 503
    return render_template("supervision/_queues.html", **_state(message=say(result)))
