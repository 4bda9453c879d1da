"""The receiver's dock screens for returned parcels: scan the label, each unit, inspect."""
from flask import flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import allow, device_token, public
from ..extensions import db
from ..picking.views import _quantity
from ..pwa.shells import register_shell
from ..queues import enqueue_for
from ..receiving.inspection import InspectionError, check_photo
from ..receiving.jobs import plan_putaway
from ..receiving.models import FAIL_REASONS
from . import dock, services, states
from .models import ReturnRequest
from .views import bp

RECEIVERS = ("receiver", "supervisor")


def _device_id():
    """The registered device making the request, when it said so."""
    device = g.get("device")
    return device.id if device else None


@bp.route("/returns/dock")
@allow(*RECEIVERS)
def dock_index():
    """Scan a return label or the parcel's tracking number; the returns expected."""
    code = request.args.get("code", "").strip()[:200]
    if code:
        rma = services.by_code(code)
        if rma is not None:
            return redirect(url_for("returns.receive", return_id=rma.id))
        flash(_("No return for %(code)s.", code=code[:40]), "error")
    return render_template("returns/dock.html", returns=services.receivable())


register_shell("returns.offline_shell", under="returns.dock_index")


@bp.route("/offline/returns")
@public
def offline_shell():
    """The returns dock screen's shell; it receives the return kept on the device."""
    return render_template("returns/offline_dock.html")


@bp.route("/returns/dock/<int:return_id>")
@allow(*RECEIVERS)
def receive(return_id):
    """The dock screen of one return: scan each unit; fail units with a reason and photo."""
    rma = db.get_or_404(ReturnRequest, return_id)
    if rma.status not in states.RECEIVABLE:
        flash(_("Return %(number)s is %(state)s: nothing more is taken in.",
                number=rma.number, state=rma.status), "error")
        return redirect(url_for("returns.show", return_id=rma.id))
    return render_template("returns/receive.html", **_context(rma, None))


@bp.route("/returns/dock/<int:return_id>/scan", methods=["POST"])
@allow(*RECEIVERS)
def dock_scan(return_id):
    """One scanned unit (passed 合格); answer with the lines fragment."""
    return _take(return_id, request.form.get("code", ""), _quantity(request.form.get("qty")),
                 accept_note=request.form.get("accept_note", ""))


@bp.route("/returns/dock/<int:return_id>/fail", methods=["POST"])
@allow(*RECEIVERS)
def dock_fail(return_id):
    """检验 failed: units to the defective store, with a reason and a photo."""
    photos = []
    upload = request.files.get("photo")
    if upload is not None and upload.filename:
        try:
            photos.append(check_photo(upload.read()))
        except InspectionError as error:
            return _fragment(return_id, dock.DockOutcome(False, str(error)))
    return _take(return_id, request.form.get("code", ""), _quantity(request.form.get("qty")),
                 outcome="fail", reason=request.form.get("reason"),
                 note=request.form.get("note", ""), photos=photos,
                 accept_note=request.form.get("accept_note", ""))


def _take(return_id, code, quantity, **options):
    """Run a dock scan and answer with the lines fragment."""
    db.get_or_404(ReturnRequest, return_id)
    try:
        outcome = dock.scan(return_id, current_user.id, code, quantity,
                            device_id=_device_id(), **options)
    except (services.ReturnError, InspectionError) as error:
        db.session.rollback()
        outcome = dock.DockOutcome(False, str(error))
    db.session.commit()
    return _fragment(return_id, outcome)


def _context(rma, outcome):
    """What the lines fragment needs."""
    return {"rma": rma, "outcome": outcome, "totals": dock.totals(rma), "reasons": FAIL_REASONS}


def _fragment(return_id, outcome):
    """The lines fragment as the return is now."""
    rma = db.session.get(ReturnRequest, return_id)
    db.session.refresh(rma)
    return render_template("returns/_dock_lines.html", **_context(rma, outcome))


@bp.route("/returns/dock/<int:return_id>/finish", methods=["POST"])
@allow(*RECEIVERS)
def finish(return_id):
    """Inspection done: passed units get put-away tasks (上架), walked on receiving's screen."""
    db.get_or_404(ReturnRequest, return_id)
    try:
        run = dock.finish(return_id, current_user.id)
    except (services.ReturnError, states.TransitionError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("returns.receive", return_id=return_id))
    db.session.commit()
    if run is None:
        flash(_("Inspected: nothing passed, nothing to put away."), "ok")
        return redirect(url_for("returns.dock_index"))
    enqueue_for(run, "default", plan_putaway, run.id, job_timeout=1800)
    return redirect(url_for("receiving.putaway_walk", putaway_run_id=run.id))


@bp.route("/api/v1/returns/<int:return_id>/offline")
@device_token
@allow(*RECEIVERS)
def offline_return(return_id):
    """A return the dock is receiving, for a handheld to take along with no network."""
    rma = db.get_or_404(ReturnRequest, return_id)
    if rma.status not in states.RECEIVABLE:
        return jsonify(error=f"Return {rma.number} is {rma.status}.", status=rma.status), 409
    user_id = current_user.id if current_user.is_authenticated else None
    return jsonify(dock.offline_payload(rma, user_id))
