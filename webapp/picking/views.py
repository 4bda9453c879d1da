"""Handheld picking screens and the supervisor's wave page."""
import json

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import allow
from ..extensions import db
from ..jobstate import job_status
from ..queues import enqueue_for
from . import scan_now, services, shortage, waves
from .jobs import plan_wave
from .models import SHORT_REASONS, PickList, Wave

from . import tiles  # noqa: F401,E402 - registers its console tile

bp = Blueprint("picking", __name__, template_folder="templates")


@bp.route("/picking")
@allow("picker")
def my_lists():
    """My pick lists: those I am walking, then open ones to start."""
    return render_template("picking/lists.html", lists=services.lists_for(current_user.id))


@bp.route("/picking/lists/<int:list_id>/start", methods=["POST"])
@allow("picker")
def start(list_id):
    """Claim a list and go to its first task."""
    try:
        services.start_list(list_id, current_user.id)
    except services.PickingError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("picking.my_lists"))
    db.session.commit()
    return redirect(url_for("picking.walk", list_id=list_id))


@bp.route("/picking/lists/<int:list_id>")
@allow("picker")
def walk(list_id):
    """The task screen: one task at a time, the scan field always ready."""
    try:
        pick_list = services.owned_list(list_id, current_user.id)
    except services.PickingError as error:
        flash(str(error), "error")
        return redirect(url_for("picking.my_lists"))
    return render_template("picking/walk.html", **_task_context(pick_list, None))


@bp.route("/picking/lists/<int:list_id>/scan", methods=["POST"])
@allow("picker")
def scan(list_id):
    """Judge one scan; answer with the task fragment (feedback included)."""
    quantity = _quantity(request.form.get("qty"))
    try:
        outcome = scan_now.screen_scan(list_id, current_user.id, request.form.get("code", ""),
                                       quantity, device_id=_device_id())
    except services.PickingError as error:
        db.session.rollback()
        outcome = services.ScanOutcome(False, str(error))
    return _committed(_task_fragment(list_id, outcome))


@bp.route("/picking/lists/<int:list_id>/short", methods=["POST"])
@allow("picker")
def short(list_id):
    """Report the current task short with a reason, and move on."""
    task_id = request.form.get("task_id", type=int)
    try:
        outcome = shortage.short_pick(list_id, task_id, current_user.id,
                                      request.form.get("reason", ""), device_id=_device_id())
    except services.PickingError as error:
        db.session.rollback()
        outcome = services.ScanOutcome(False, str(error))
    return _committed(_task_fragment(list_id, outcome))


def _committed(answer):
    """Commit, then answer: the fragment is read and rendered in the scan's own
    transaction (what it wrote, before it commits) instead of a second one (on
    SQLite a second turn of the write lock for a read), and nothing is answered
    unless the commit held."""
    db.session.commit()
    return answer


def _quantity(text):
    """The quantity typed for a large count: a positive int, 1 when blank, 0 when junk."""
    text = (text or "").strip()
    if not text:
        return 1
    # ASCII digits only ("²".isdigit() is True) and a sane ceiling for one scan.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else 0


def _device_id():
    """The registered device making the request, when it said so."""
    device = g.get("device")
    return device.id if device else None


def _task_context(pick_list, outcome):
    """What the task fragment needs."""
    done, total = services.progress(pick_list)
    return {"pick_list": pick_list, "task": services.current_task(pick_list),
            "done": done, "total": total, "outcome": outcome, "reasons": SHORT_REASONS}


def _task_fragment(list_id, outcome):
    """Render the task fragment for the list as it is now."""
    # Read in the scan's transaction: the fast path's Core writes expired the session's
    # copies of what they wrote (scan_writes._forget), the ORM path's are current. (A
    # refresh() here read the list a second time, a statement of every screen scan.)
    pick_list = db.session.get(PickList, list_id)
    if pick_list is None:
        return render_template("_error.html", status=404, message=_("Not found.")), 404
    return render_template("picking/_task.html", **_task_context(pick_list, outcome))


# ---------------------------------------------------------------- waves
@bp.route("/waves", methods=["GET"], endpoint="waves")
@allow("supervisor", "admin")
def waves_page():
    """Start a wave with limits; see recent waves."""
    return render_template("picking/waves.html", waves=waves.recent(),
                           defaults=waves.DEFAULTS, counts=waves.ready_counts())


@bp.route("/waves", methods=["POST"])
@allow("supervisor", "admin")
def start_wave():
    """Queue a wave-planning job with the supervisor's limits."""
    try:
        params = waves.parse_params(request.form)
    except ValueError as error:
        return render_template("_error.html", status=422, message=str(error)), 422
    wave = Wave(params_json=json.dumps(params), created_by_id=current_user.id)
    db.session.add(wave)
    db.session.commit()
    _enqueue(wave)
    return render_template("picking/_wave.html", wave=wave, job_state=None), 202


@bp.route("/waves/<int:wave_id>")
@allow("supervisor", "admin")
def show_wave(wave_id):
    """A wave's fragment; it polls itself while the job runs."""
    wave = db.get_or_404(Wave, wave_id)
    state = job_status(wave.job_id) if wave.in_progress else None
    return render_template("picking/_wave.html", wave=wave, job_state=state)


@bp.route("/waves/<int:wave_id>/retry", methods=["POST"])
@allow("supervisor", "admin")
def retry_wave(wave_id):
    """Run a failed wave again."""
    wave = db.get_or_404(Wave, wave_id)
    if wave.status == "failed":
        wave.status, wave.error = "queued", None
        db.session.commit()
        _enqueue(wave)
    return render_template("picking/_wave.html", wave=wave, job_state=None)


def _enqueue(wave):
    """Put the planning job on the picking queue and keep its id on the row."""
    enqueue_for(wave, "picking", plan_wave, wave.id, job_timeout=1800)

