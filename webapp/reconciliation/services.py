"""Starting and recording ledger checks."""
import json

from sqlalchemy import func, select

from ..audit import chain
from ..audit.models import AuditEntry
from ..catalog.models import StockLevel, StockMovement
from ..catalog.stock import ledger_mismatches
from ..extensions import db
from ..timeutil import utcnow
from .models import ReconciliationRun

MAX_LISTED = 500  # enough to act on; the count says how many in all


def request_run(user_id):
    """Create a queued run; the caller enqueues the job and stores its id."""
    run = ReconciliationRun(requested_by_id=user_id, status="queued")
    db.session.add(run)
    db.session.flush()
    return run


def perform_run(run):
    """Compare every stock level with its ledger sum and record the result."""
    run.status, run.started_at, run.error = "running", utcnow(), None
    db.session.flush()
    mismatches = ledger_mismatches()
    run.levels_checked = db.session.scalar(select(func.count(StockLevel.id)))
    run.mismatch_count = len(mismatches)
    run.mismatches_json = json.dumps(mismatches[:MAX_LISTED])
    run.chain_sealed = seal_ledger()
    broken = ledger_chain_break(_last_heads())
    run.chain_checked = db.session.scalar(select(func.count()).select_from(StockMovement)
                                          .where(StockMovement.seal_seq.is_not(None)))
    run.chain_error = str(broken) if broken else None
    run.chain_heads = {model.__tablename__: chain.head(model) for model in CHAINS}
    run.status, run.finished_at = "finished", utcnow()
    return run


# The append-only tables whose rows are sealed into a hash chain of their own.
CHAINS = (StockMovement, AuditEntry)


def seal_ledger():
    """Seal the ledger lines and audit entries written since the last seal; return the
    number of ledger lines sealed."""
    sealed = {model: chain.seal(model, model.CHAINED) for model in CHAINS}
    return sealed[StockMovement]


def ledger_chain_break(known_heads=None):
    """The first broken link of the ledger's or the audit trail's chain, or None;
    `known_heads` are the chains' last links as an earlier check saw them."""
    for model in CHAINS:
        broken = (chain.missing_head(model, (known_heads or {}).get(model.__tablename__))
                  or chain.verify(model, model.CHAINED))
        if broken is not None:
            return broken if model is StockMovement else chain.BrokenLink(
                broken.seal_seq, broken.row_id, f"audit trail: {broken.problem}")
    return None


def _last_heads():
    """The chain heads the latest finished check recorded, or None."""
    return db.session.scalar(select(ReconciliationRun.chain_heads)
                             .where(ReconciliationRun.status == "finished",
                                    ReconciliationRun.chain_heads.is_not(None))
                             .order_by(ReconciliationRun.id.desc()).limit(1))


def mark_failed(run, message):
    """Record that the job failed, with the reason shown on the page."""
    run.status, run.error, run.finished_at = "failed", message[:2000], utcnow()


def recent_runs(limit=20):
    """The newest runs first."""
    return db.session.scalars(select(ReconciliationRun)
                              .order_by(ReconciliationRun.id.desc()).limit(limit)).all()
