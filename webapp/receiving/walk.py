"""Walking a put-away run on the handheld: scan the bin, then the item (上架)."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from ..catalog.services import CatalogError, resolve_code
from ..catalog.stock import move_stock
from ..extensions import db
from ..timeutil import utcnow
from . import putaway
from .models import PutawayRun, PutawayTask


class WalkError(ValueError):
    """A put-away scan that cannot be taken; the message is shown."""


class TaskGone(WalkError):
    """The task was done or replanned meanwhile (an offline scan arriving late)."""


@dataclass
class WalkOutcome:
    """What a put-away scan did."""

    ok: bool
    message: str


def current_task(run):
    """The next pending task in walking order, or None."""
    return db.session.scalar(select(PutawayTask).where(
        PutawayTask.run_id == run.id, PutawayTask.status == "pending")
        .order_by(PutawayTask.walk, PutawayTask.sequence).limit(1))


def progress(run):
    """(done, total) tasks of a run."""
    statuses = db.session.scalars(select(PutawayTask.status).where(
        PutawayTask.run_id == run.id)).all()
    return sum(1 for s in statuses if s == "done"), len(statuses)


def scan(run_id, user_id, code, *, device_id=None, task_id=None):
    """Bin first (the suggested one, or another storage bin as an override), then item."""
    run = _locked(run_id)
    if run is None or run.status != "finished":
        raise WalkError(_("These put-away tasks are not ready."))
    task = current_task(run) if task_id is None else _named_task(run, task_id)
    if task is None:
        raise TaskGone(_("This put-away task was already done."))
    try:
        kind, thing = resolve_code(code)
    except CatalogError as error:
        return WalkOutcome(False, str(error))
    if kind == "location":
        return _bin_scan(task, thing)
    if not task.location_confirmed:
        return WalkOutcome(False, _("Scan the bin %(code)s first.", code=task.suggested.code))
    if thing.id != task.product_id:
        return WalkOutcome(False, _("Wrong item: this task is %(sku)s.", sku=task.product.sku))
    move_stock(task.product_id, task.quantity, reason="putaway",
               from_location_id=task.from_location_id, to_location_id=task.location_id,
               user_id=user_id, device_id=device_id, source=f"putaway-task:{task.id}")
    task.status, task.user_id, task.done_at = "done", user_id, utcnow()
    db.session.flush()
    putaway.finish_if_done(run, user_id)
    return WalkOutcome(True, _("%(qty)d × %(sku)s put away in %(bin)s (上架).",
                               qty=task.quantity, sku=task.product.sku,
                               bin=task.location.code))


def _locked(run_id):
    """The run, locked till commit and read again under the lock: scans of one run (a
    double Enter, two receivers, a backlog syncing) happen one after the other, so a
    task's stock moves once and the scan that ends the run's last task sees it is the
    last (else each of the last two saw the other pending, and nobody finished it)."""
    return db.session.scalar(select(PutawayRun).where(PutawayRun.id == run_id)
                             .with_for_update(key_share=True)
                             .execution_options(populate_existing=True))


def _named_task(run, task_id):
    """The task a handheld walked offline, when it is still to do (another person may
    have done it meanwhile, or the run was planned again): None otherwise. Offline the
    handheld walks its own order, so any pending task of the run is taken, not only
    the first."""
    task = db.session.get(PutawayTask, task_id, populate_existing=True)
    if task is None or task.run_id != run.id or task.status != "pending":
        return None
    return task


def _bin_scan(task, location):
    """Confirm the suggested bin, or take another storage bin as a recorded override."""
    if location.type != "storage" or not location.active:
        return WalkOutcome(False, _("%(code)s is not a storage bin.", code=location.code))
    task.location_id, task.location_confirmed = location.id, True
    task.override = location.id != task.suggested_location_id
    db.session.flush()
    if task.override:
        return WalkOutcome(True, _("Bin %(code)s instead of %(suggested)s (override recorded). "
                                   "Now scan the item.", code=location.code,
                                   suggested=task.suggested.code))
    return WalkOutcome(True, _("Bin %(code)s. Now scan the item.", code=location.code))
