"""The supervisor's console: tiles (the live floor), pick lists, devices.

The RQ pages and the KPIs are in queue_views.py and kpi_views.py, on this blueprint.
"""
import logging

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..access import allow
from ..extensions import db
from ..templating import gettext_once
from . import devices, picklists
from .clock import local_time
from .tiles import POLL_SECONDS, tile, tiles_for

log = logging.getLogger(__name__)
bp = Blueprint("supervision", __name__, template_folder="templates")
SUPERVISORS = ("supervisor",)


def render_tile(one):
    """One tile's fragment; a tile that fails shows its error, the others carry on."""
    try:
        data = one.func()
    except Exception:  # noqa: BLE001 - one broken tile must not take the console down
        db.session.rollback()
        log.exception("console tile %s failed", one.name)
        return render_template("supervision/_tile_failed.html", tile=one, poll=POLL_SECONDS)
    return render_template(one.template, tile=one, poll=POLL_SECONDS, **data)


@bp.route("/console/tiles/<name>", endpoint="tile")
@allow(*SUPERVISORS)
def tile_fragment(name):
    """One tile, as its polling asks for it."""
    one = tile(name)
    if one is None or "supervisor" not in one.roles:
        abort(404)
    return render_tile(one)


def console_tiles(roles):
    """The rendered tiles for the home screen of a person holding `roles`."""
    return [Markup(render_tile(one)) for one in tiles_for(roles)]


def tile_links(roles):
    """The URLs the tiles' titles open, for the home screen to leave out of its cards."""
    return {url_for(one.link) for one in tiles_for(roles) if one.link}


@bp.route("/console/picklists")
@allow(*SUPERVISORS)
def pick_lists():
    """Every open or running list: assign, reassign, prioritise, release."""
    status = request.args.get("status", "active")
    statuses = {"active": picklists.ACTIVE, "done": ("done", "cancelled")}.get(
        status, picklists.ACTIVE)
    return render_template("supervision/picklists.html", status=status,
                           rows=picklists.overview(statuses=statuses),
                           picker_options=PickerOptions(picklists.pickers()),
                           gettext=gettext_once())


@bp.route("/console/picklists/<int(max=2147483647):list_id>", methods=["POST"])
@allow(*SUPERVISORS)
def change_list(list_id):
    """Assign, release or prioritise one list; answer with its row."""
    action, error = request.form.get("action", ""), None
    try:
        if action == "assign":
            picklists.assign(list_id, request.form.get("picker_id", type=int))
        elif action == "release":
            picklists.release(list_id)
        elif action == "priority":
            picklists.set_priority(list_id, request.form.get("priority", type=int))
        else:
            abort(400)
        db.session.commit()
    except picklists.ListError as problem:
        db.session.rollback()
        error = str(problem)
    return _list_row(list_id, error, None if error else _("Saved."))


def _list_row(list_id, error, saved):
    """The row fragment of one list as it is now."""
    rows = picklists.overview(statuses=None, list_ids=[list_id])
    if not rows:
        abort(404)
    row = rows[0]
    return render_template("supervision/_picklist_row.html", row=row, error=error, saved=saved,
                           picker_options=PickerOptions(picklists.pickers()),
                           conflicts=picklists.list_conflicts(list_id))


class PickerOptions:
    """The pickers' <option>s of a list's select, escaped once a page: the page holds
    a select per list (50 lists x 50 pickers were 2,500 options rendered one by one by
    Jinja, most of the page's time); a row only marks its own picker."""

    def __init__(self, pickers):
        self.options = {p.id: Markup('<option value="{}">{}</option>').format(
            p.id, p.display_name or p.username) for p in pickers}
        self.all = Markup("").join(self.options.values())

    def __call__(self, selected_id=None):
        """The options, the one of selected_id (the list's picker) selected."""
        plain = self.options.get(selected_id)
        if plain is None:
            return self.all
        return Markup(self.all.replace(plain, plain.replace(">", " selected>", 1), 1))


@bp.route("/console/devices", endpoint="devices")
@allow(*SUPERVISORS)
def devices_page():
    """Every registered device: last person, last sync, scans waiting, conflicts."""
    rows = devices.overview()
    return render_template("supervision/devices.html", rows=rows,
                           silent_minutes=int(devices.silent_after().total_seconds() // 60),
                           show_version=any(row["version"] for row in rows))


QUEUE_LABELS = {"picking": _l("Picking"), "packing": _l("Packing"),
                "reconciliation": _l("Reconciliation"), "default": _l("Other")}
WORKER_STATE_LABELS = {"busy": _l("Busy"), "idle": _l("Idle"), "started": _l("Starting"),
                       "suspended": _l("Suspended")}


@bp.app_context_processor
def _labels():
    """Names the console's templates use."""
    return {"queue_label": lambda key: QUEUE_LABELS.get(key, key),
            "worker_state_label": lambda state: WORKER_STATE_LABELS.get(state, state)}


@bp.app_template_filter("age")
def age_filter(seconds):
    """Seconds as '45 s', '12 min', '3 h 5 min', '2 d'."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("%(n)d s", n=seconds)
    if seconds < 3600:
        return _("%(n)d min", n=seconds // 60)
    if seconds < 86400:
        return _("%(h)d h %(m)d min", h=seconds // 3600, m=seconds % 3600 // 60)
    return _("%(n)d d", n=seconds // 86400)


@bp.app_template_filter("localtime")
def localtime_filter(moment, fmt="%m-%d %H:%M"):
    """A UTC moment in the warehouse's time."""
    return local_time(moment).strftime(fmt) if moment else "—"


from . import floor, kpi_views, queue_views, reorder_views  # noqa: E402,F401 - on this bp
