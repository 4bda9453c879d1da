"""The picker's scan as a sync action: a scan made offline runs the online rules."""
from sqlalchemy.orm import joinedload

from ..catalog.stock import InsufficientStock
from ..extensions import db
from ..sync.actions import Conflict, Rejected, register
from . import services as picking
from .models import PickList, PickTask


def apply_pick(record):
    """A pick scan: conflicts when the list or task changed hands or state."""
    pick_list = db.session.get(PickList, record.pick_list_id)
    if pick_list is None:
        raise Rejected("unknown pick list")
    if pick_list.picker_id != record.user_id:
        raise Conflict("the pick list was reassigned to someone else")
    if pick_list.status != "in_progress":
        raise Conflict(f"the pick list is {pick_list.status}")
    # The task with its location and order in one query; picking.scan finds it again
    # in the session instead of asking the database.
    task = db.session.get(PickTask, record.task_id,
                          options=[joinedload(PickTask.location), joinedload(PickTask.order)])
    if task is not None and task.pick_list_id == pick_list.id and task.order.status == "cancelled":
        raise Conflict(f"order {task.order.number} was cancelled")
    try:
        outcome = picking.scan(pick_list.id, record.user_id, record.code, record.quantity,
                               device_id=record.device_id, task_id=record.task_id)
    except picking.TaskGone as error:
        raise Conflict(str(error)) from error
    except InsufficientStock as error:
        raise Conflict(f"stock already gone: {error}") from error
    except picking.PickingError as error:
        raise Rejected(str(error)) from error
    if not outcome.ok:
        raise Rejected(outcome.message)
    return outcome.message


register("pick", roles={"picker"}, needs=("pick_list_id", "task_id"), apply=apply_pick)
