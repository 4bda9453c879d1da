"""The reorder-point screen (库存监控): find a product, set its point and quantity."""
from flask import (abort, current_app, flash, make_response, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _

from ..access import allow
from ..extensions import db
from ..limits import MAX_REORDER_UNITS
from . import reorder
from .views import SUPERVISORS, bp


def _context():
    """What both templates show beside the rows."""
    return {"default_point": current_app.config["DEFAULT_REORDER_POINT"],
            "max_units": MAX_REORDER_UNITS}


@bp.route("/console/reorder")
@allow(*SUPERVISORS)
def reorder_points():
    """Products, the most urgent first, each with its reorder point and quantity."""
    q = request.args.get("q", "")[:reorder.MAX_QUERY_CHARS]
    return render_template("supervision/reorder.html", q=q, rows=reorder.rows(q),
                           **_context())


@bp.route("/console/reorder/<int:product_id>", methods=["POST"])
@allow(*SUPERVISORS)
def set_reorder(product_id):
    """Save one product's point and quantity; answer with its row (htmx) or the page."""
    form = {key: request.form.get(key, "")[:20] for key in ("reorder_point", "reorder_qty")}
    error = None
    try:
        point = reorder.parse_units(form["reorder_point"], 0, _("The reorder point"))
        qty = reorder.parse_units(form["reorder_qty"], 1, _("The reorder quantity"))
        reorder.set_reorder(product_id, point, qty)
        db.session.commit()
    except reorder.ReorderError as problem:
        db.session.rollback()
        error = str(problem)
    if not request.htmx and not error:
        flash(_("Saved."), "ok")
        response = redirect(url_for("supervision.reorder_points", q=request.args.get("q", "")))
    elif not request.htmx:  # the page again, this product first with what was typed
        rows = reorder.rows(product_ids=[product_id], limit=1)
        if not rows:
            abort(404)
        response = make_response(render_template(
            "supervision/reorder.html", q="", rows=rows, errors={product_id: error},
            forms={product_id: form}, **_context()), 422)
    else:
        rows = reorder.rows(product_ids=[product_id], limit=1)
        if not rows:
            abort(404)
        response = make_response(render_template(
            "supervision/_reorder_row.html", row=rows[0], error=error,
            saved=None if error else _("Saved."), form=form if error else None, **_context()))
    response.vary.add("HX-Request")
    return response
