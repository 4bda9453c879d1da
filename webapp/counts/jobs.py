"""RQ jobs of the counts domain, on the reconciliation queue. They take ids."""
from ..audit.trail import acting_as
from ..extensions import db
from . import plans
from .models import CountPlan


def generate_counts(plan_id):
    """Make the plan's count tasks; safe to run twice (a second run adds none)."""
    plan = db.session.get(CountPlan, plan_id)
    if plan is None:
        return {"missing_plan": plan_id}
    try:
        with acting_as(plan.created_by_id, why=f"count plan {plan.id}"):
            plans.generate_tasks(plan)
            db.session.commit()
    except Exception as error:
        db.session.rollback()
        plan = db.session.get(CountPlan, plan_id)
        plan.status, plan.error = "failed", f"{type(error).__name__}: {error}"[:2000]
        db.session.commit()
        raise
    return {"plan_id": plan.id, "tasks": plan.tasks_made}
