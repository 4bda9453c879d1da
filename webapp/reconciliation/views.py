"""Supervisor page: start a ledger check, watch it, see its result, retry it."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from ..access import allow
from ..extensions import db
from ..jobstate import job_status
from ..queues import enqueue_for
from . import services
from .jobs import check_ledger
from .models import ReconciliationRun

bp = Blueprint("reconciliation", __name__, template_folder="templates")


@bp.route("/reconciliation")
@allow("supervisor", "admin")
def index():
    """Recent ledger checks."""
    return render_template("reconciliation/index.html", runs=services.recent_runs())


@bp.route("/reconciliation/runs", methods=["POST"])
@allow("supervisor", "admin")
def start():
    """Queue a new ledger check and answer with its self-polling fragment."""
    run = services.request_run(current_user.id)
    db.session.commit()
    _enqueue(run)
    return _fragment(run), 202


@bp.route("/reconciliation/runs/<int:run_id>", methods=["GET"])
@allow("supervisor", "admin")
def show(run_id):
    """One run: the fragment polls this while the job runs."""
    return _fragment(db.get_or_404(ReconciliationRun, run_id))


@bp.route("/reconciliation/runs/<int:run_id>/retry", methods=["POST"])
@allow("supervisor", "admin")
def retry(run_id):
    """Run a failed check again."""
    run = db.get_or_404(ReconciliationRun, run_id)
    if run.status != "failed":
        abort(409)
    run.status, run.error = "queued", None
    db.session.commit()
    _enqueue(run)
    return _fragment(run)


def _enqueue(run):
    """Enqueue the job after the commit (so the worker sees the row) and keep its id."""
    enqueue_for(run, "reconciliation", check_ledger, run.id, job_timeout=3600)


def _fragment(run):
    """The run's fragment, with its RQ job state."""
    state = job_status(run.job_id) if run.in_progress else None
    if request.htmx or request.method == "POST":
        return render_template("reconciliation/_run.html", run=run, job_state=state)
    return render_template("reconciliation/run.html", run=run, job_state=state)
