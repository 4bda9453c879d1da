"""Counts: the counter's handheld screens, the supervisor's plans and variances."""
from flask import (Blueprint, abort, flash, g, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from ..access import allow, public
from ..extensions import db
from ..jobstate import job_status
from ..pwa.shells import register_shell
from ..queues import enqueue_for
from . import claims, plans, services, variances
from .jobs import generate_counts
from .models import CountPlan, CountTask

from . import home, tiles  # noqa: F401,E402 - registers the home hint and console tile

bp = Blueprint("counts", __name__, template_folder="templates")
COUNTERS = services.COUNTER_ROLES


# ---------------------------------------------------------------- counting (handheld)
@bp.route("/counts")
@allow(*COUNTERS)
def my_counts():
    """The counts this person may do: their own in progress, recounts, then by walk."""
    return render_template("counts/mine.html", tasks=services.tasks_for(current_user.id))


@bp.route("/counts/<int:count_id>")
@allow(*COUNTERS)
def count(count_id):
    """The count screen: scan the location, then every item (blind: no book quantity)."""
    task = db.get_or_404(CountTask, count_id)
    return render_template("counts/count.html", task=task, outcome=None)


@bp.route("/counts/<int:count_id>/scan", methods=["POST"])
@allow(*COUNTERS)
def scan(count_id):
    """Judge one scan (the location, an item, with a typed quantity); the fragment."""
    quantity = (request.form.get("qty") or "").strip() or 1
    return _act(count_id, lambda: services.scan(
        count_id, current_user.id, request.form.get("code", ""), quantity,
        device_id=_device_id()))


@bp.route("/counts/<int:count_id>/empty", methods=["POST"])
@allow(*COUNTERS)
def empty(count_id):
    """The bin is empty: one action finishes the count with nothing found."""
    return _act(count_id, lambda: services.confirm_empty(count_id, current_user.id,
                                                          _device_id()))


@bp.route("/counts/<int:count_id>/finish", methods=["POST"])
@allow(*COUNTERS)
def finish(count_id):
    """Everything on the shelf is counted: finish and judge."""
    return _act(count_id, lambda: services.finish(count_id, current_user.id, _device_id()))


@bp.route("/counts/<int:count_id>/offline")
@allow(*COUNTERS)
def offline_count(count_id):
    """A count for a handheld to take along with no network: the bin, never the book."""
    task = db.get_or_404(CountTask, count_id)
    if task.status == "released":  # the handheld is told where the bin went
        return jsonify(error=claims.released_reason(task), status=task.status), 409
    if task.status not in ("open", "counting"):
        return jsonify(error=_("This count is %(state)s.",
                               state=claims.task_state_label(task.status)),
                       status=task.status), 409
    return jsonify({"subject_id": task.id, "location_code": task.location.code,
                    "status": task.status, "user_id": current_user.id,
                    "started": task.status == "counting" and task.counter_id == current_user.id,
                    "tally": {}})


register_shell("counts.offline_shell", under="counts.my_counts")


@bp.route("/offline/counts")
@public
def offline_shell():
    """The count screen's shell; it counts into the copy kept on the device (IndexedDB)."""
    return render_template("counts/offline_count.html")


def _act(count_id, action):
    """Run a counting action, commit, answer with the count fragment."""
    task = db.get_or_404(CountTask, count_id)
    try:
        outcome = action()
    except services.CountError as error:
        db.session.rollback()
        outcome = services.CountOutcome(False, str(error), task)
    db.session.commit()
    db.session.refresh(task)
    return render_template("counts/_count.html", task=task, outcome=outcome)


def _device_id():
    """The registered device making the request, when it said so."""
    device = g.get("device")
    return device.id if device else None


# ---------------------------------------------------------------- plans (supervisor)
@bp.route("/counts/plans")
@allow("supervisor", "admin")
def plans_page():
    """Plan a count; recent plans; accuracy over the last 30 days."""
    return render_template("counts/plans.html", plans=plans.recent_plans(),
                           accuracy=variances.accuracy(), claims=claims.claims(), message=None)


@bp.route("/counts/plans", methods=["POST"])
@allow("supervisor", "admin")
def create_plan():
    """Queue the job that makes a plan's tasks; answer with its self-polling fragment."""
    try:
        kind, params = plans.parse_plan(request.form)
    except plans.PlanError as error:
        # htmx 2 swaps no 4xx answer: the page's form gets the message as a 200 fragment
        # (shown above the plans); any other client gets the 422.
        return render_template("_error.html", status=422, message=str(error)), \
            200 if request.htmx else 422
    plan = plans.create_plan(kind, params, current_user.id)
    db.session.commit()
    _enqueue(plan)
    return render_template("counts/_plan.html", plan=plan, job_state=None), 202


@bp.route("/counts/plans/<int:plan_id>")
@allow("supervisor", "admin")
def show_plan(plan_id):
    """A plan's fragment; it polls itself while the job runs."""
    plan = db.get_or_404(CountPlan, plan_id)
    state = job_status(plan.job_id) if plan.in_progress else None
    return render_template("counts/_plan.html", plan=plan, job_state=state)


@bp.route("/counts/plans/<int:plan_id>/retry", methods=["POST"])
@allow("supervisor", "admin")
def retry_plan(plan_id):
    """Run a failed plan's job again (it skips what it already made)."""
    plan = db.get_or_404(CountPlan, plan_id)
    if plan.status != "failed":
        abort(409)
    plan.status, plan.error = "queued", None
    db.session.commit()
    _enqueue(plan)
    return render_template("counts/_plan.html", plan=plan, job_state=None)


def _enqueue(plan):
    """Put the plan's job on the reconciliation queue and keep its id on the row."""
    enqueue_for(plan, "reconciliation", generate_counts, plan.id, job_timeout=1800)


# ---------------------------------------------------------------- claims (supervisor)
@bp.route("/counts/claims")
@allow("supervisor")
def claims_fragment():
    """Counts being counted: who, since when, last scan; idle ones first. A fragment of
    the count plans page: opened as a page (a link, a bookmark), it is that page."""
    if not request.headers.get("HX-Request"):
        return redirect(url_for("counts.plans_page", _anchor="claims"))
    return render_template("counts/_claims.html", claims=claims.claims(), message=None)


@bp.route("/counts/<int:count_id>/release", methods=["POST"])
@allow("supervisor")
def release(count_id):
    """Free a claim left idle: its bin goes back to the counters as a new count."""
    try:
        fresh = claims.release(count_id)
    except claims.ReleaseError as error:
        db.session.rollback()
        message, status = (False, str(error)), 409
    else:
        db.session.commit()
        message, status = (True, _("Count %(id)d released: the bin waits for a counter as "
                                   "count %(new)d.", id=count_id, new=fresh.id)), 200
    if request.htmx:  # htmx 2 swaps no 4xx answer: the refusal comes in the fragment
        return render_template("counts/_claims.html", claims=claims.claims(), message=message)
    if status != 200:
        return render_template("_error.html", status=status, message=message[1]), status
    flash(message[1], "info")
    return redirect(url_for("counts.plans_page"))


# ---------------------------------------------------------------- variances (supervisor)
@bp.route("/counts/variances")
@allow("supervisor")
def variances_page():
    """Variances waiting for a decision: units, value, location, counter, recount."""
    return render_template("counts/variances.html", **_variances_context(None))


@bp.route("/counts/variances", methods=["POST"])
@allow("supervisor")
def decide():
    """Approve or reject the ticked variances (one, or all at once)."""
    decision = request.form.get("decision")
    if decision == "approve_all":  # every line the supervisor was shown, none added since
        decision, ids = "approve", _ids(request.form.getlist("shown"))
    else:
        ids = _ids(request.form.getlist("line"))
    if decision not in ("approve", "reject"):
        return render_template("_error.html", status=422,
                               message=_("Choose approve or reject.")), 422
    changed = []
    try:
        if decision == "approve":
            done = variances.approve(ids, current_user.id, _shown(ids), changed)
        else:
            done = variances.reject(ids, current_user.id)
    except variances.VarianceError as error:
        db.session.rollback()
        message = (False, str(error))
    else:
        db.session.commit()
        message = (True, _("%(n)d approved: the adjustments are in the ledger.", n=done)
                   if decision == "approve" else
                   _("%(n)d rejected: the books stand, the bins will be counted again.", n=done))
        if changed:
            message = (False, message[1] + " " + _(
                "%(n)d changed since shown (a pick at the bin moved on) and wait: check what "
                "they post now.", n=len(changed)))
    if request.htmx:
        return render_template("counts/_variances.html", **_variances_context(message))
    flash(message[1], "info" if message[0] else "error")
    return redirect(url_for("counts.variances_page"))


def _ids(values):
    """The whole numbers of a form list; anything else is dropped (a bad id names nothing)."""
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 9]


def _shown(ids):
    """{line id: units} the screen said approving each line posts (its post-<id> field)."""
    shown = {}
    for line_id in ids:
        value = (request.form.get(f"post-{line_id}") or "").strip()
        digits = value.removeprefix("-")
        if digits.isascii() and digits.isdigit() and len(digits) <= 9:
            shown[line_id] = int(value)
    return shown


def _variances_context(message):
    """The pending lines with what the supervisor weighs them by, and what each posts."""
    rows = [{"line": line, "task": line.task, "value": variances.value_cents(line),
             "first": variances.first_count(line.task), "posting": variances.posting(line)}
            for line in variances.pending()]
    return {"rows": rows, "message": message}
