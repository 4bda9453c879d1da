"""The audit screen for supervisors and admins: who did what, an object's history, CSV."""
from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from ..access import allow
from ..csvexport import csv_response
from . import services

bp = Blueprint("audit", __name__, template_folder="templates")
bp.add_app_template_global(services.why_label, "audit_why")
AUDITORS = ("supervisor", "admin")


@bp.route("/audit")
@allow(*AUDITORS)
def index():
    """Filtered entries, newest first, a page at a time."""
    filters = services.parse_filters(request.args)
    rows = services.entries(filters)
    older = None
    if len(rows) == services.PAGE:
        query = {k: v for k, v in request.args.items() if k != "before_id"}
        older = url_for("audit.index", **query, before_id=rows[-1][0].id)
    return render_template("audit/index.html", rows=rows, filters=filters, older=older,
                           object_types=services.object_types(), actions=services.ACTIONS,
                           csv_url=url_for("audit.export", **{k: v for k, v in
                                                              request.args.items()}))


@bp.route("/audit.csv")
@allow(*AUDITORS)
def export():
    """The filtered entries as CSV."""
    filters = services.parse_filters(request.args)
    filters.before_id = None
    header = (_("Entry"), _("Server time"), _("Device time"), _("Person"), _("Device"),
              _("Object"), _("Id"), _("Action"), _("Before"), _("After"), _("Why"))
    return csv_response("audit.csv", header, services.csv_rows(filters))


@bp.route("/audit/<object_type>/<int(max=2147483647):object_id>")
@allow(*AUDITORS)
def history(object_type, object_id):
    """One object's whole history, oldest first."""
    object_type = object_type[:32]
    return render_template("audit/history.html", object_type=object_type,
                           object_id=object_id, events=services.history(object_type, object_id))
