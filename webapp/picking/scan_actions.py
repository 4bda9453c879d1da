"""The picker's scan as a sync action: a scan made offline runs the online rules.

A scan arriving inline (`scan_now.judge_now`), one at a time through the ORM
(`apply_pick`: what the other two hand back) or a stored backlog set-based
(`scan_batch.apply_picks`, the reconciliation job): all ask `synced_problem` whether
the scan still fits and `judging.judge` what it does.
"""
from sqlalchemy.orm import joinedload

from ..catalog.stock import InsufficientStock
from ..extensions import db
from ..sync.actions import Conflict, Rejected, register
from . import services as picking
from .models import PickList, PickTask
from .scan_batch import apply_picks, synced_problem
from .scan_now import judge_now


def apply_pick(record):
    """A pick scan: conflicts when the list or task changed hands or state."""
    pick_list = db.session.get(PickList, record.pick_list_id)
    # The task with its location and order in one query; picking.scan finds it again
    # in the session instead of asking the database.
    task = db.session.get(PickTask, record.task_id,
                          options=[joinedload(PickTask.location), joinedload(PickTask.order)])
    problem = synced_problem(pick_list, task, task and task.order, record.user_id)
    if problem is not None:
        raise problem
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


register("pick", roles={"picker"}, needs=("pick_list_id", "task_id"), apply=apply_pick,
         apply_many=apply_picks, apply_now=judge_now)
