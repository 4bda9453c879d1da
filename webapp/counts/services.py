"""Counting on the handheld: blind, location first, then every item found there.

The counter never sees the book quantity. Each line keeps the book quantity at the
moment its product was last counted, so a pick or a put-away at the bin while the
count runs moves both figures alike and shows no variance. Finishing adds a zero
line for every product the books (or a block) expect there that was not found.
"""
from dataclasses import dataclass
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ..accounts.models import User, UserRole
from ..catalog.barcodes import read_scan
from ..catalog.blocks import blocks_at
from ..catalog.models import Location, StockLevel, StockMovement
from ..catalog.services import product_for_scan, refusal
from ..catalog.stock import on_hand
from ..extensions import db
from ..limits import MAX_INT, whole_number
from ..picking.shortage import in_carts
from ..timeutil import aware, utcnow
from . import variances
from .claims import released_reason
from .models import LIVE_STATES, CountLine, CountTask  # noqa: F401 - CountTask for callers

COUNTER_ROLES = ("picker", "receiver", "supervisor")


class CountError(ValueError):
    """A counting action that is not allowed now; the message is shown."""


class TaskGone(CountError):
    """The task changed meanwhile (counted, cancelled, taken): a synced scan conflicts."""


@dataclass
class CountOutcome:
    """How a scan was judged: ok or refused, why, and the task as it stands."""

    ok: bool
    message: str
    task: CountTask | None = None
    finished: bool = False


def raise_count(location_id, user_id, source):
    """A count of one location (a short pick's): the live one there, or a new task."""
    task = db.session.scalar(select(CountTask).where(
        CountTask.location_id == location_id, CountTask.status.in_(LIVE_STATES))
        .order_by(CountTask.id).limit(1))
    if task is None:
        task = CountTask(location_id=location_id, source=(source or "")[:128] or None)
        db.session.add(task)
        db.session.flush()
    return task


def tasks_for(user_id, limit=50):
    """Counts this person may do: their own in progress first, recounts, then by walk."""
    alone = not someone_else_counts(user_id)
    query = (select(CountTask).join(Location, Location.id == CountTask.location_id).where(
        or_(CountTask.status == "open",
            (CountTask.status == "counting") & (CountTask.counter_id == user_id)))
        .order_by((CountTask.counter_id == user_id).desc(), CountTask.recount_of_id.is_(None),
                  Location.zone, Location.aisle, Location.bay, Location.level, CountTask.id))
    if not alone:
        query = query.where(or_(CountTask.not_by_id.is_(None), CountTask.not_by_id != user_id))
    return db.session.scalars(query.limit(limit)).all()


def open_count():
    """How many counts wait for a counter (the home card's hint)."""
    return db.session.scalar(select(func.count()).where(CountTask.status == "open"))


def someone_else_counts(user_id):
    """True when another active person holds a role that counts (a recount goes to them)."""
    return db.session.scalar(select(func.count()).select_from(User).join(
        UserRole, UserRole.user_id == User.id).where(
        User.id != user_id, User.active.is_(True), UserRole.role.in_(COUNTER_ROLES))) > 0


def held_task(task_id, user_id):
    """The task this person is counting, or CountError / TaskGone.

    Locked while the scan is applied, so a supervisor's release (claims.release)
    and this scan happen one after the other, never both.
    """
    task = _locked(task_id)
    if task is None:
        raise CountError(_("No such count."))
    _not_released(task)
    if task.status != "counting" or task.counter_id != user_id:
        raise TaskGone(_("This count is no longer yours to count (%(state)s).",
                         state=task.status))
    return task


def _locked(task_id):
    """The task, locked till commit and read again under the lock (or None)."""
    return db.session.scalar(select(CountTask).where(CountTask.id == task_id)
                             .with_for_update(key_share=True)
                             .execution_options(populate_existing=True))


def _not_released(task):
    """A released count takes no scan, by anyone: its bin is counted in a new task."""
    if task.status == "released":
        raise TaskGone(released_reason(task))


def book_at(product_id, location_id, at=None):
    """The book quantity of a product at a location at the moment `at` (now when None).

    A scan synced later names its device time: the ledger lines written since are
    taken back out, so a pick made while the counter was offline is no variance.
    A device clock ahead of the server's counts as now.
    """
    book = on_hand(product_id, location_id)
    if at is None or at >= utcnow():
        return book
    later = select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
        StockMovement.product_id == product_id, StockMovement.created_at > at)
    came = db.session.scalar(later.where(StockMovement.to_location_id == location_id))
    went = db.session.scalar(later.where(StockMovement.from_location_id == location_id))
    return book - came + went


def _since_made(task, at):
    """A device time no earlier than the task itself (a clock behind counts as then)."""
    if at is None:
        return None
    return max(at, aware(task.created_at))


def scan(task_id, user_id, raw_code, quantity=1, device_id=None, at=None):
    """One scan of a count: the location first (claims the task), then items. The task
    is locked first: two counters claiming an open count at once each read it open,
    and the later claim took it from the first, who went on counting a task not his."""
    task = _locked(task_id)
    if task is None:
        raise CountError(_("No such count."))
    _not_released(task)
    code = read_scan(raw_code)
    if not code.text:
        return CountOutcome(False, _("Empty scan."), task)
    if task.status == "open" or code.text == task.location.code and task.counter_id != user_id:
        return _touched(_start(task, user_id, code, device_id), at)
    held_task(task.id, user_id)
    if code.text == task.location.code:
        return _touched(CountOutcome(True, _("Location %(code)s confirmed.", code=code.text),
                                     task), at)
    product_id = product_for_scan(code)
    if product_id is None:
        if db.session.scalar(select(Location.id).where(Location.code == code.text)):
            return CountOutcome(False, _("Wrong location %(code)s. You are counting %(here)s.",
                                         code=code.text, here=task.location.code), task)
        return CountOutcome(False, refusal(code), task)
    return _touched(add_units(task, product_id, quantity, at), at)


def _touched(outcome, at=None):
    """Keep the time of the task's last accepted scan (the device's, never ahead of
    now): the supervisor's list of idle claims reads it."""
    if outcome.ok:
        now = utcnow()
        moment = min(at, now) if at is not None else now
        last = outcome.task.last_scan_at
        if last is None or aware(last) < moment:
            outcome.task.last_scan_at = moment
    return outcome



def _start(task, user_id, code, device_id):
    """Claim an open task by scanning its location."""
    if code.text != task.location.code:
        return CountOutcome(False, _("Scan the location %(code)s first.",
                                     code=task.location.code), task)
    if task.status != "open":
        raise TaskGone(_("Someone else is counting this location."))
    if task.not_by_id == user_id and someone_else_counts(user_id):
        raise CountError(_("This is a recount of your own count: someone else counts it."))
    task.status, task.counter_id, task.device_id = "counting", user_id, device_id
    task.started_at = utcnow()
    return CountOutcome(True, _("Counting %(code)s: scan every item on the shelf.",
                                code=task.location.code), task)


def parse_quantity(value):
    """A counted quantity typed or sent: a whole number from 1 up; None when not."""
    return whole_number(value, None, low=1, high=MAX_INT)


def add_units(task, product_id, quantity, at=None):
    """Count `quantity` more of a product here; the book is read as of this scan."""
    quantity = parse_quantity(quantity)
    if quantity is None:
        return CountOutcome(False, _("Quantity must be a whole number above zero."), task)
    line = _line(task, product_id)
    if line.counted_qty + quantity > MAX_INT:
        return CountOutcome(False, _("That is more than can be counted in one bin."), task)
    line.counted_qty += quantity
    _read_books(line, task, at)
    db.session.flush()
    return CountOutcome(True, _("%(sku)s: %(n)d counted.", sku=line.product.sku,
                                n=line.counted_qty), task)


def _read_books(line, task, at):
    """What the line is judged against, as of this scan: the book, and the units a
    half-done pick holds in a cart (off the shelf, on the books until the pick ends).
    A scan synced late reads the book at its device time but the carts as they are
    now: the history of a cart is not kept."""
    line.book_qty = book_at(line.product_id, task.location_id, _since_made(task, at))
    line.in_carts = in_carts(line.product_id, task.location_id)
    return line


def _line(task, product_id):
    """The task's line for a product, made on its first scan."""
    line = db.session.scalar(select(CountLine).where(CountLine.task_id == task.id,
                                                     CountLine.product_id == product_id))
    if line is None:
        line = CountLine(task_id=task.id, product_id=product_id)
        db.session.add(line)
        db.session.flush()
        db.session.refresh(line, ["product"])
    return line


def confirm_empty(task_id, user_id, device_id=None, at=None):
    """One action for a bin with nothing in it: refused once something was counted."""
    task = held_task(task_id, user_id)
    if any(line.counted_qty for line in task.lines):
        return CountOutcome(False, _("Items were counted here: finish the count instead."),
                            task)
    return finish(task.id, user_id, device_id, at)


def finish(task_id, user_id, device_id=None, at=None):
    """Close the counting: zero lines for what was expected and not found, then judge."""
    task = held_task(task_id, user_id)
    counted = {line.product_id for line in task.lines}
    expected = set(db.session.scalars(select(StockLevel.product_id).where(
        StockLevel.location_id == task.location_id, StockLevel.quantity > 0)))
    expected |= {block.product_id for block in blocks_at(task.location_id)}
    for product_id in sorted(expected - counted):
        line = CountLine(task_id=task.id, product_id=product_id, counted_qty=0)
        db.session.add(_read_books(line, task, at))
    task.counted_at = utcnow()
    db.session.flush()
    db.session.expire(task, ["lines"])
    message = variances.judge(task, user_id)
    return CountOutcome(True, message, task, finished=True)
