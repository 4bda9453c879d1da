"""Short picks (缺货): keep what was counted, block the bin, pick the rest elsewhere.

A picker who finds a bin short (empty, damaged units, not found) says the shelf
does not match the books. The product at that bin is blocked for allocation until
someone counts it (catalog/blocks.py: the book quantity stays until the count posts
the variance through the ledger), and what the order still lacks is reserved at
other bins and added to the list being walked, so the order can still ship. Only
when no other bin has it does the order end short (re-planned by a later wave).
"""
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..catalog.blocks import block_location
from ..catalog.stock import available_at, move_stock, release
from ..extensions import db
from ..orders.models import Order, OrderException, OrderLine
from ..timeutil import utcnow
from ..orders.states import transition
from .allocation import lock_levels, release_order, reserve_line
from .judging import reservation_split
from .models import SHORT_REASONS, PickTask, Reservation
from .closing import after_task, settle_list
from .services import (PickingError, ScanOutcome, current_task, move_picked, owned_list,
                       staging_location_id)


def short_pick(list_id, task_id, user_id, reason, device_id=None):
    """Record a short pick: keep what was counted, free and block the rest, re-allocate."""
    if reason not in SHORT_REASONS:
        raise PickingError(_("Choose why the item is short."))
    pick_list = owned_list(list_id, user_id)
    task = current_task(pick_list)
    if task is None or task.id != task_id:
        raise PickingError(_("That task is no longer the current one."))
    if task.kind != "pick":  # a put-back returns units from the cart; nothing can be short
        raise PickingError(_("Only a pick can be reported short."))
    # The order, then the product's levels (its bins and the packing area) by ascending
    # location, the order allocation and a pick's move take them in: a wave allocating
    # or a picker finishing a task at the same moment queues instead of deadlocking.
    order = db.session.scalar(select(Order).where(Order.id == task.order_id).with_for_update())
    lock_levels({task.product_id}, plus=[staging_location_id()])
    found = _cover_cart(task, user_id, device_id)
    move_picked(task, task.picked_qty, user_id, device_id)
    _free_reservation(task)
    task.status, task.short_reason, task.done_at = "short", reason, utcnow()
    block_location(task.location_id, task.product_id, user_id, reason,
                   source=f"pick-task:{task.id}")
    reroute_reservations(task.location_id, task.product_id, user_id)
    from ..counts.services import raise_count  # counts builds on picking, not the reverse
    raise_count(task.location_id, user_id, source=f"pick-task:{task.id}")
    added = _reallocate(pick_list, task) if order.status == "picking" else []
    _record_exception(task, reason, added, found)
    finished = after_task(pick_list, user_id)
    message = _("Short pick recorded.")
    if added:
        message = _("Short pick recorded. %(n)d more to pick at %(codes)s, added to this list.",
                    n=sum(t.quantity for t in added),
                    codes=", ".join(t.location.code for t in added))
    return ScanOutcome(True, message, current_task(pick_list), finished)


def _cover_cart(task, user_id, device_id):
    """Post back to the bin the counted units its books no longer show; return how many.

    Units in the cart are units the bin held, whatever the books say since (a write-off
    that let the task's reservation go): the picker holds them, so they stay picked and
    move to the packing area like any other, and the order line counts them. The books
    were wrong by at least these units; the count this short raises settles the rest.
    """
    reservation = db.session.get(Reservation, task.reservation_id) if task.reservation_id else None
    held, _leftover = (reservation_split(task.picked_qty, reservation.quantity, reservation.active)
                       if reservation else (0, 0))
    missing = task.picked_qty - held - available_at(task.product_id, task.location_id)
    if missing <= 0:
        return 0
    move_stock(task.product_id, missing, reason="adjustment", to_location_id=task.location_id,
               user_id=user_id, device_id=device_id, source=f"pick-task:{task.id}")
    return missing


def _free_reservation(task):
    """Release the task's reservation when nothing was picked (move_picked did not)."""
    if task.reservation_id and task.picked_qty == 0:
        reservation = db.session.get(Reservation, task.reservation_id)
        if reservation.active:
            release(task.product_id, task.location_id, reservation.quantity)
            reservation.active = False


def _reallocate(pick_list, task):
    """Reserve what the task's line still lacks at other bins; a task for each, at the
    end of the list (the picker walks on, then fetches it). Returns the new tasks."""
    line = db.session.get(OrderLine, task.order_line_id)
    _missing, made = reserve_line(line)
    return _append_tasks(pick_list, task, made)


def _append_tasks(pick_list, task, made):
    """A task per new reservation of the task's line, at the end of the list."""
    sequence = db.session.scalar(select(func.max(PickTask.sequence))
                                 .where(PickTask.pick_list_id == pick_list.id)) or 0
    added = []
    for offset, reservation in enumerate(made, start=1):
        added.append(PickTask(
            pick_list_id=pick_list.id, sequence=sequence + offset, kind="pick",
            order_id=task.order_id, order_line_id=task.order_line_id,
            reservation_id=reservation.id, location_id=reservation.location_id,
            product_id=reservation.product_id, quantity=reservation.quantity,
            cart_slot=task.cart_slot))
    db.session.add_all(added)
    db.session.flush()
    for new in added:
        db.session.refresh(new, ["location"])
    db.session.expire(pick_list, ["tasks"])
    return added


def _record_exception(task, reason, added, found=0):
    """The supervisor's note: what was short where, and where the rest is picked."""
    message = (f"{task.product.sku} at {task.location.code}: picked {task.picked_qty} of "
               f"{task.quantity} ({reason}); the bin is blocked until counted")
    if found:
        message += f"; {found} picked units were no longer on the books: posted back"
    if added:
        message += "; re-allocated " + ", ".join(
            f"{t.quantity} at {t.location.code}" for t in added)
    db.session.add(OrderException(order_id=task.order_id, kind="short_pick", message=message))


def reroute_reservations(location_id, product_id, user_id):
    """Send no picker to a bin whose units are not there: give back every reservation
    of the product at the bin not yet being picked, and reserve it again elsewhere.

    A task on a list gets its new bins appended (it ends "short", reason "blocked");
    an order that can no longer be covered goes back to "new" with a shortage
    exception (a later wave tries again), or ends short when its list is being walked.
    Tasks a picker has half-counted are left alone: the units in hand exist.
    Returns how many reservations were moved.
    """
    held = db.session.scalars(select(Reservation).where(
        Reservation.location_id == location_id, Reservation.product_id == product_id,
        Reservation.active.is_(True)).order_by(Reservation.id)).all()
    kept = {task.reservation_id for task in picks_under_way(location_id, product_id)}
    moved = 0
    for reservation in held:
        if reservation.id in kept:
            continue
        task = db.session.scalar(select(PickTask).where(
            PickTask.reservation_id == reservation.id, PickTask.status == "pending"))
        release(product_id, location_id, reservation.quantity)
        reservation.active = False
        moved += 1
        _reroute_one(reservation, task, user_id)
    db.session.flush()
    return moved


def picks_under_way(location_id, product_id):
    """Pick tasks at the bin a picker has begun and not ended: their units are in a
    cart, off the shelf, but on the bin's books until the task ends (move_picked)."""
    return db.session.scalars(select(PickTask).where(
        PickTask.location_id == location_id, PickTask.product_id == product_id,
        PickTask.kind == "pick", PickTask.status == "pending", PickTask.picked_qty > 0)
        .order_by(PickTask.id)).all()


def in_carts(product_id, location_id):
    """How many units of a product pickers hold in their carts from this bin now."""
    return sum(task.picked_qty for task in picks_under_way(location_id, product_id))


def _reroute_one(reservation, task, user_id):
    """Re-reserve one freed reservation's line; fall back to short when nothing is left."""
    line = db.session.get(OrderLine, reservation.order_line_id)
    order = db.session.get(Order, line.order_id)
    if task is not None:
        task.status, task.short_reason, task.done_at = "short", "blocked", utcnow()
        if order.status == "picking":  # being walked: fetch it elsewhere on this walk
            _reallocate(task.pick_list, task)
            return
    missing, made = reserve_line(line)
    if task is not None and not missing:
        _append_tasks(task.pick_list, task, made)
        return
    if missing and order.status == "allocated":
        _back_to_new(order, user_id, f"{line.sku}: {missing} of {line.quantity} not available "
                                     "(its bin is blocked until counted)")


def _back_to_new(order, user_id, note):
    """An allocated order that lost stock: free it all, cancel its unwalked tasks, and
    let the next wave allocate it again (or record it short)."""
    tasks = db.session.scalars(select(PickTask).where(
        PickTask.order_id == order.id, PickTask.status == "pending")).all()
    for task in tasks:
        task.status = "cancelled"
    release_order(order)
    db.session.add(OrderException(order_id=order.id, kind="short", message=note))
    transition(order, "new", user_id, note)
    db.session.flush()
    for pick_list in {task.pick_list for task in tasks}:
        settle_list(pick_list, user_id)
