"""The receiver's handheld screens: today's receipts, receiving and 检验, closing, 上架."""
from flask import flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import allow, device_token, public
from ..catalog.stock import StockError
from ..extensions import db
from ..jobstate import job_status
from ..picking.views import _quantity
from ..pwa.shells import register_shell
from ..queues import enqueue_for
from . import inspection, offline, putaway, services, walk
from .jobs import plan_putaway
from .models import FAIL_REASONS, PutawayRun, Receipt
from .views import bp

RECEIVERS = ("receiver", "supervisor")


def _device_id():
    """The registered device making the request, when it said so."""
    device = g.get("device")
    return device.id if device else None


@bp.route("/receiving")
@allow(*RECEIVERS)
def today():
    """Today's receipts, and a field to scan a 明细表's barcode."""
    code = request.args.get("code", "").strip()
    if code:
        receipt = services.receipt_by_code(code)
        if receipt is not None:
            return redirect(url_for("receiving.receive", receipt_id=receipt.id))
        flash(_("No receipt %(code)s.", code=code[:40]), "error")
    return render_template("receiving/today.html", receipts=services.today_receipts(),
                           runs=putaway.open_runs())


register_shell("receiving.offline_shell", under="receiving.today")
register_shell("receiving.offline_putaway_shell", under="receiving.putaway_walk", putaway_run_id=0)


@bp.route("/offline/receiving")
@public
def offline_shell():
    """The receiving screen's shell; it receives the receipt kept on the device."""
    return render_template("receiving/offline_receive.html")


@bp.route("/offline/putaway")
@public
def offline_putaway_shell():
    """The put-away screen's shell; it walks the run kept on the device."""
    return render_template("receiving/offline_putaway.html")


@bp.route("/api/v1/putaway/<int:putaway_run_id>/offline")
@device_token
@allow(*RECEIVERS)
def offline_putaway(putaway_run_id):
    """A planned put-away run, for a handheld to walk with no network."""
    run = db.get_or_404(PutawayRun, putaway_run_id)
    if run.status != "finished":
        return jsonify(error=_("These put-away tasks are not ready."), status=run.status), 409
    user_id = current_user.id if current_user.is_authenticated else None
    return jsonify(offline.putaway_payload(run, user_id))


@bp.route("/receiving/<int:receipt_id>")
@allow(*RECEIVERS)
def receive(receipt_id):
    """The receiving screen: the scan field, expected vs received per line."""
    receipt = db.get_or_404(Receipt, receipt_id)
    if receipt.status not in services.OPEN_STATES:
        flash(_("Receipt %(number)s is %(state)s.", number=receipt.number,
                state=receipt.status), "error")
        return redirect(url_for("receiving.show", receipt_id=receipt.id))
    if receipt.held:
        flash(services.held_message(receipt), "error")
        return redirect(url_for("receiving.show", receipt_id=receipt.id))
    return render_template("receiving/receive.html", **_lines_context(receipt, None))


@bp.route("/receiving/<int:receipt_id>/scan", methods=["POST"])
@allow(*RECEIVERS)
def scan(receipt_id):
    """Judge one scan (passed units); answer with the lines fragment."""
    return _take(receipt_id, request.form.get("code", ""), _quantity(request.form.get("qty")))


@bp.route("/receiving/<int:receipt_id>/accept", methods=["POST"])
@allow(*RECEIVERS)
def accept(receipt_id):
    """Accept an unexpected item or an over-receipt, with the reason given."""
    note = request.form.get("note", "").strip()
    if not note:
        return _lines_fragment(receipt_id, services.ScanOutcome(
            False, _("Give a reason to accept these units."), needs_reason="over",
            code=request.form.get("code", ""), qty=_quantity(request.form.get("qty"))))
    return _take(receipt_id, request.form.get("code", ""), _quantity(request.form.get("qty")),
                 accept_note=note, line_id=request.form.get("line_id", type=int))


@bp.route("/receiving/<int:receipt_id>/fail", methods=["POST"])
@allow(*RECEIVERS)
def fail(receipt_id):
    """检验 failed: units of a line to the defective store, with a reason and a photo."""
    receipt = db.get_or_404(Receipt, receipt_id)
    line = next((ln for ln in receipt.lines if ln.id == request.form.get("line_id", type=int)
                 and ln.product_id), None)
    if line is None:
        return _lines_fragment(receipt_id, services.ScanOutcome(False, _("Unknown line.")))
    photos = []
    upload = request.files.get("photo")
    if upload is not None and upload.filename:
        try:
            photos.append(inspection.check_photo(upload.read()))
        except inspection.InspectionError as error:
            return _lines_fragment(receipt_id, services.ScanOutcome(False, str(error)))
    return _take(receipt_id, line.product.sku, _quantity(request.form.get("qty")),
                 outcome="fail", reason=request.form.get("reason"), line_id=line.id,
                 note=request.form.get("note", ""), photos=photos,
                 accept_note=request.form.get("accept_note", ""))


def _take(receipt_id, code, quantity, **options):
    """Run a receiving scan and answer with the lines fragment."""
    try:
        outcome = services.scan(receipt_id, current_user.id, code, quantity,
                                device_id=_device_id(), **options)
    except (services.ReceivingError, inspection.InspectionError) as error:
        db.session.rollback()
        outcome = services.ScanOutcome(False, str(error))
    db.session.commit()
    return _lines_fragment(receipt_id, outcome)


def _lines_context(receipt, outcome):
    """What the lines fragment needs."""
    return {"receipt": receipt, "outcome": outcome, "totals": services.totals(receipt),
            "reasons": FAIL_REASONS}


def _lines_fragment(receipt_id, outcome):
    """The lines fragment as the receipt is now."""
    receipt = db.get_or_404(Receipt, receipt_id)
    db.session.refresh(receipt)
    return render_template("receiving/_lines.html", **_lines_context(receipt, outcome))


@bp.route("/receiving/<int:receipt_id>/close", methods=["GET", "POST"])
@allow(*RECEIVERS)
def close(receipt_id):
    """Discrepancies per line, the delivering party, then close and plan put-away."""
    receipt = db.get_or_404(Receipt, receipt_id)
    if request.method == "POST":
        try:
            run = services.close(receipt_id, current_user.id, request.form.get("delivered_by"),
                                 request.form.get("company"),
                                 receiver_svg=request.form.get("receiver_svg", ""),
                                 deliverer_svg=request.form.get("deliverer_svg", ""),
                                 device_id=_device_id())
        except services.ReceivingError as error:
            db.session.rollback()
            flash(str(error), "error")
            return render_template("receiving/close.html", receipt=receipt,
                                   totals=services.totals(receipt)), 422
        db.session.commit()
        enqueue_for(run, "default", plan_putaway, run.id, job_timeout=1800)
        return redirect(url_for("receiving.putaway_walk", putaway_run_id=run.id))
    return render_template("receiving/close.html", receipt=receipt,
                           totals=services.totals(receipt))


@bp.route("/putaway/<int:putaway_run_id>")
@allow(*RECEIVERS)
def putaway_walk(putaway_run_id):
    """上架: the planning job's progress, then one task at a time."""
    run = _planning(db.get_or_404(PutawayRun, putaway_run_id))
    return render_template("receiving/putaway.html", **_walk_context(run, None))


def _planning(run):
    """Queue the planning job of a run that has none yet: a receipt closed offline is
    closed by the sync API, which does not queue jobs; the first look at it does."""
    if run.status == "queued" and not run.job_id:
        enqueue_for(run, "default", plan_putaway, run.id, job_timeout=1800)
    return run


@bp.route("/putaway/<int:putaway_run_id>/status")
@allow(*RECEIVERS)
def putaway_status(putaway_run_id):
    """The polling fragment while the planning job runs; the task once planned."""
    run = _planning(db.get_or_404(PutawayRun, putaway_run_id))
    return render_template("receiving/_putaway.html", **_walk_context(run, None))


@bp.route("/putaway/<int:putaway_run_id>/retry", methods=["POST"])
@allow(*RECEIVERS)
def putaway_retry(putaway_run_id):
    """Plan a failed run again."""
    run = db.get_or_404(PutawayRun, putaway_run_id)
    if run.status == "failed":
        run.status, run.error = "queued", None
        db.session.commit()
        enqueue_for(run, "default", plan_putaway, run.id, job_timeout=1800)
    return render_template("receiving/_putaway.html", **_walk_context(run, None))


@bp.route("/putaway/<int:putaway_run_id>/scan", methods=["POST"])
@allow(*RECEIVERS)
def putaway_scan(putaway_run_id):
    """Bin, then item; answer with the task fragment."""
    try:
        outcome = walk.scan(putaway_run_id, current_user.id, request.form.get("code", ""),
                            device_id=_device_id())
    except walk.WalkError as error:
        db.session.rollback()
        outcome = walk.WalkOutcome(False, str(error))
    except StockError as error:  # an adjustment or a count took the units meanwhile
        db.session.rollback()
        outcome = walk.WalkOutcome(False, _(
            "The receiving area no longer holds these units (%(reason)s). The task stays "
            "to do; ask a supervisor to count the receiving area.", reason=str(error)))
    db.session.commit()
    run = db.session.get(PutawayRun, putaway_run_id)
    db.session.refresh(run)
    return render_template("receiving/_putaway.html", **_walk_context(run, outcome))


def _walk_context(run, outcome):
    """What the put-away fragment needs."""
    done, total = walk.progress(run)
    job_state = job_status(run.job_id) if run.in_progress else None
    return {"run": run, "title": putaway.source_label(run),
            "task": walk.current_task(run) if run.status == "finished" else None,
            "done": done, "total": total, "outcome": outcome, "job_state": job_state,
            "job_progress": _job_progress(run)}


def _job_progress(run):
    """'done/total' lines planned, from the running job's meta."""
    if not run.in_progress or not run.job_id:
        return ""
    from redis.exceptions import RedisError
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from ..queues import redis_connection
    try:
        return Job.fetch(run.job_id, connection=redis_connection()).get_meta().get("progress", "")
    except (NoSuchJobError, RedisError):
        return ""
