"""RQ jobs of the picking queue. They take ids, never objects."""
import json

from rq import get_current_job

from ..audit.trail import acting_for
from ..extensions import db
from .models import Wave
from .waves import run_wave


def plan_wave(wave_id):
    """Allocate and plan one wave; a finished wave is left as it is (safe to re-run)."""
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        return {"missing_wave": wave_id}
    if wave.status == "finished":
        return json.loads(wave.result_json)
    with acting_for(wave.created_by_id, "plan_wave"):  # its changes are the planner's
        try:
            run_wave(wave, progress=_report_progress)
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            wave = db.session.get(Wave, wave_id)
            wave.status, wave.error = "failed", f"{type(error).__name__}: {error}"
            db.session.commit()
            raise
    return json.loads(wave.result_json)


def _report_progress(done, total):
    """Keep allocation progress in job.meta for anyone watching the job."""
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = f"{done}/{total}"
        job.save_meta()
