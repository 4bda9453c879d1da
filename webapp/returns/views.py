"""Customer service's returns (退换货): find the order, log a return, follow it, decide."""
from datetime import timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import allow
from ..catalog.labels import code128_svg
from ..core.home import register_hint
from ..extensions import db
from ..limits import whole_number
from ..orders.models import Order
from ..receiving.inspection import inspections_of
from ..timeutil import utcnow
from . import channels, dock, labels, resolution, services, states
from .jobs import enqueue_notice
from .models import REASONS, ChannelNotice, ReturnPhoto, ReturnRequest

bp = Blueprint("returns", __name__, template_folder="templates")
bp.app_context_processor(labels.template_names)
register_hint("returns.index", labels.service_hint)
register_hint("returns.dock_index", labels.dock_hint)
# Customer service's waiting returns, listed above the cards (the supervisor has a tile).
register_hint("returns.index", services.home_work, template="returns/_home_returns.html",
              roles=("customer_service",))

SERVICE = ("customer_service", "supervisor")
READERS = ("customer_service", "supervisor", "receiver")


@bp.route("/returns")
@allow(*SERVICE)
def index():
    """My open returns with age and status, and the order search."""
    query = request.args.get("q", "").strip()[:80]
    mine = request.args.get("all") != "1"
    rows = services.open_returns(current_user.id if mine else None)
    return render_template("returns/index.html", returns=rows, query=query, mine=mine,
                           found=services.search_orders(query) if query else None,
                           now=utcnow())


@bp.route("/returns/new/<int:order_id>", methods=["GET", "POST"])
@allow(*SERVICE)
def new(order_id):
    """The return form for one order: units per line, reason, refund or exchange, photos."""
    order = db.get_or_404(Order, order_id)
    if request.method == "POST":
        try:
            rma = services.open_return(
                order.id, current_user.id, _quantities(order), reason=request.form.get("reason"),
                reason_note=request.form.get("reason_note", ""),
                resolution=request.form.get("resolution"),
                replacements={line.id: request.form.get(f"replacement-{line.id}", "")
                              for line in order.lines},
                photos=[f.read() for f in request.files.getlist("photo") if f.filename],
                return_tracking=request.form.get("return_tracking", ""))
        except services.ReturnError as error:
            db.session.rollback()
            flash(str(error), "error")
            return _form(order), 422
        db.session.commit()
        flash(_("Return %(number)s logged.", number=rma.number), "ok")
        return redirect(url_for("returns.show", return_id=rma.id))
    return _form(order)


def _quantities(order):
    """{order line id: units} from the form; an unreadable number is refused, not zero."""
    quantities = {}
    for line in order.lines:
        raw = request.form.get(f"qty-{line.id}", "").strip()
        if raw:
            units = whole_number(raw, None, 0, 100_000)
            if units is None:
                raise services.ReturnError(_("%(sku)s: the quantity must be a whole number.",
                                             sku=line.sku))
            quantities[line.id] = units
    return quantities


def _form(order):
    """The return form (or why none can be opened)."""
    return render_template("returns/new.html", order=order, refusal=services.refusal(order),
                           lines=services.returnable(order) if order.status == "handed_over"
                           else [], reasons=REASONS, form=request.form,
                           earlier=services.returns_of_order(order.id))


@bp.route("/returns/<int:return_id>")
@allow(*READERS)
def show(return_id):
    """One return: lines, photos, inspections, the timeline and what comes next."""
    rma = db.get_or_404(ReturnRequest, return_id)
    return render_template("returns/show.html", rma=rma, totals=dock.totals(rma),
                           inspections=inspections_of("return", rma.id),
                           describe_notice=channels.describe,
                           age=_age(rma), put_away_note=dock.PUT_AWAY_NOTE)


def _age(rma):
    """How long the return has been open (or was, once closed)."""
    end = rma.closed_at or utcnow()
    created = rma.created_at if rma.created_at.tzinfo else rma.created_at.replace(
        tzinfo=end.tzinfo)
    if end.tzinfo is None:
        end = end.replace(tzinfo=created.tzinfo)
    return max(end - created, timedelta(0))


@bp.route("/returns/<int:return_id>/label")
@allow(*READERS)
def label(return_id):
    """The return label (100×150 mm) with the return number as Code128."""
    rma = db.get_or_404(ReturnRequest, return_id)
    return render_template("returns/label.html", rma=rma, barcode=code128_svg(rma.number, 90, 30))


@bp.route("/returns/<int:return_id>/label-sent", methods=["POST"])
@allow(*SERVICE)
def label_sent(return_id):
    """The label went to the customer: the return is awaited at the dock."""
    return _act(return_id, lambda: services.label_sent(return_id, current_user.id))


@bp.route("/returns/<int:return_id>/photos", methods=["POST"])
@allow(*SERVICE)
def add_photo(return_id):
    """Attach a photo the customer sent."""
    upload = request.files.get("photo")
    data = upload.read() if upload is not None and upload.filename else b""
    return _act(return_id, lambda: services.add_photo(return_id, data))


@bp.route("/returns/<int:return_id>/refund", methods=["POST"])
@allow(*SERVICE)
def refund(return_id):
    """Record the refund: amount and the channel's reference."""
    return _act(return_id, lambda: resolution.refund(
        return_id, current_user.id, request.form.get("amount", ""),
        request.form.get("reference", ""), request.form.get("note", "")))


@bp.route("/returns/<int:return_id>/exchange", methods=["POST"])
@allow(*SERVICE)
def exchange(return_id):
    """Create the replacement order."""
    return _act(return_id, lambda: resolution.exchange(return_id, current_user.id))


@bp.route("/returns/<int:return_id>/reject", methods=["POST"])
@allow(*SERVICE)
def reject(return_id):
    """Reject the return, with the reason."""
    return _act(return_id, lambda: resolution.reject(return_id, current_user.id,
                                                     request.form.get("note", "")))


@bp.route("/returns/<int:return_id>/close", methods=["POST"])
@allow(*SERVICE)
def close(return_id):
    """Close a decided return."""
    return _act(return_id, lambda: resolution.close(return_id, current_user.id))


def _act(return_id, action):
    """Run a change, commit, queue the channel's notice if the change made one, back to
    the return (the reason shown when refused)."""
    rma = db.get_or_404(ReturnRequest, return_id)
    try:
        action()
        db.session.commit()
    except (services.ReturnError, states.TransitionError) as error:
        db.session.rollback()
        flash(str(error), "error")
    for notice in rma.notices:
        if notice.status == "queued" and notice.job_id is None:
            enqueue_notice(notice)
    return redirect(url_for("returns.show", return_id=return_id))


@bp.route("/returns/<int:return_id>/notices/<int:notice_id>/retry", methods=["POST"])
@allow(*SERVICE)
def retry_notice(return_id, notice_id):
    """Send a failed channel notice again."""
    notice = db.get_or_404(ChannelNotice, notice_id)
    if notice.return_id == return_id and notice.status == "failed":
        notice.status, notice.job_id = "queued", None
        db.session.commit()
        enqueue_notice(notice)
    return redirect(url_for("returns.show", return_id=return_id))


@bp.route("/returns/photos/<int:return_photo_id>")
@allow(*READERS)
def photo(return_photo_id):
    """A photo customer service attached, from the database."""
    row = db.get_or_404(ReturnPhoto, return_photo_id)
    response = Response(row.data, mimetype=row.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


from . import dock_views  # noqa: E402,F401 - the receiver's routes on the same blueprint
from . import tiles  # noqa: E402,F401 - registers its console tile
