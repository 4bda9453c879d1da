"""RQ jobs of the reconciliation queue. They take ids, never objects."""
from ..audit.trail import acting_for
from ..extensions import db
from .models import ReconciliationRun
from .services import mark_failed, perform_run


def check_ledger(run_id):
    """Check every stock level against the ledger; safe to run twice."""
    run = db.session.get(ReconciliationRun, run_id)
    if run is None:
        return {"missing_run": run_id}
    with acting_for(run.requested_by_id, "check_ledger"):
        try:
            perform_run(run)
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            run = db.session.get(ReconciliationRun, run_id)
            mark_failed(run, f"{type(error).__name__}: {error}")
            db.session.commit()
            raise
    return {"run_id": run.id, "mismatches": run.mismatch_count}
