"""The waiting work on the courier's, the dock clerk's and customer service's homes."""
from sqlalchemy import select

from ..core.home import register_hint
from ..extensions import db
from .models import AfterSalesCase, Manifest
from .services import counts

SHOWN = 5


def handoff_work():
    """Manifests waiting for a courier, with expected vs scanned."""
    manifests = db.session.scalars(select(Manifest).where(Manifest.status != "signed")
                                   .order_by(Manifest.id).limit(SHOWN)).all()
    return {"manifests": [(m, counts(m)) for m in manifests]}


def case_work():
    """The oldest open after-sales cases, and how many are open."""
    rows = db.session.scalars(select(AfterSalesCase).where(AfterSalesCase.status == "open")
                              .order_by(AfterSalesCase.opened_at, AfterSalesCase.id)
                              .limit(SHOWN)).all()
    total = db.session.scalar(select(db.func.count()).select_from(AfterSalesCase)
                              .where(AfterSalesCase.status == "open"))
    return {"cases": rows, "total": total}


# Above the cards of the people whose work this is (a supervisor has the console's tile).
register_hint("handoff.index", handoff_work, template="handoff/_home_work.html",
              roles=("courier", "packer"))
register_hint("handoff.cases", case_work, template="handoff/_home_cases.html")
