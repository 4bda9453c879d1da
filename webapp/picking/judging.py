"""The rule of a pick scan, without the database: one source for every path a scan takes.

The picker's screen (services.scan), a synced scan applied on its own
(scan_actions.apply_pick) and a synced backlog applied set-based
(scan_batch.apply_picks) load the task their own way, then ask `judge` what the
scan does and `completes` whether it finishes the task. Nothing here reads or
writes a row: a caller that has the task's facts in memory judges thousands of
scans without a statement each.
"""
from dataclasses import dataclass

from flask_babel import gettext as _


@dataclass(frozen=True)
class Verdict:
    """What a scan does to its task: refused (with why), or confirm / count units.

    A refused scan whose `message` is None named something else than the task's
    location or product (`named` is the product it named, if any): the caller words
    that refusal (services.wrong_scan_message), since it reads what was named.
    """

    ok: bool
    message: str | None
    confirm: bool = False
    count: int = 0
    named: int | None = None


def judge(task, location_code, scan, quantity, product_of):
    """Judge one read scan (catalog.barcodes.read_scan) against a pending task.

    `task` has quantity, picked_qty, location_confirmed and product_id (a PickTask
    or anything shaped like one); `product_of(scan)` names the product the scan is
    of, or None. The task is not changed: see `apply_verdict`.
    """
    if not scan.text:
        return Verdict(False, _("Empty scan."))
    if scan.text == location_code:
        return Verdict(True, _("Location %(code)s confirmed.", code=scan.text), confirm=True)
    product_id = product_of(scan)
    if product_id == task.product_id:
        return _count(task, location_code, quantity)
    return Verdict(False, None, named=product_id)


def _count(task, location_code, quantity):
    """Count scanned units, refusing more than the task needs."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        return Verdict(False, _("Quantity must be a whole number above zero."))
    remaining = task.quantity - task.picked_qty
    if remaining == 0 and not task.location_confirmed:
        return Verdict(False, _("All %(n)d counted: scan the location %(code)s to finish.",
                                n=task.quantity, code=location_code))
    if quantity > remaining:
        return Verdict(False, _("Too many: only %(n)d more needed.", n=remaining))
    return Verdict(True, _("%(done)d of %(total)d picked.", done=task.picked_qty + quantity,
                           total=task.quantity), count=quantity)


def completes(task, verdict):
    """True when an accepted scan finishes the task: location confirmed, all counted."""
    return verdict.ok and (task.location_confirmed or verdict.confirm) \
        and task.picked_qty + verdict.count == task.quantity


def apply_verdict(task, verdict):
    """Record an accepted scan on the task (a PickTask or its in-memory copy)."""
    if verdict.confirm:
        task.location_confirmed = True
    task.picked_qty += verdict.count


def reservation_split(quantity, reserved, active):
    """(units of the reservation a pick of `quantity` consumes, units left to release)."""
    if not active:
        return 0, 0
    held = min(quantity, reserved)
    return held, reserved - held
