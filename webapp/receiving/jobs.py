"""RQ jobs of receiving. They take ids, never objects, and are safe to run twice."""
from rq import get_current_job

from ..audit.trail import acting_for
from ..extensions import db
from . import putaway
from .models import PutawayRun


def plan_putaway(run_id):
    """Plan one put-away run; a finished run is left as it is."""
    run = db.session.get(PutawayRun, run_id)
    if run is None:
        return {"missing_run": run_id}
    if run.status != "finished":
        with acting_for(run.requested_by_id, "plan_putaway"):
            _plan(run)
    return {"run": run.id, "tasks": len(run.tasks)}


def _plan(run):
    """Plan the run, or record why it failed and raise."""
    run_id = run.id
    run.status = "running"
    db.session.commit()
    try:
        putaway.plan(run, progress=_report_progress(run))
        putaway.finish_if_done(run, run.requested_by_id)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        run = db.session.get(PutawayRun, run_id)
        run.status, run.error = "failed", f"{type(error).__name__}: {error}"[:2000]
        db.session.commit()
        raise


def _report_progress(run):
    """Keep progress on the row (the polling fragment reads it) and in job.meta."""
    def report(done, total):
        run.progress = f"{done}/{total}"
        job = get_current_job()
        if job is not None:
            job.meta["progress"] = run.progress
            job.save_meta()
    return report
