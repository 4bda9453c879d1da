"""Packing settings an admin keeps: box presets and the stations' label printers."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..access import allow
from ..extensions import db
from . import boxes, stations
from .models import BoxPreset, PackingStation
from .views import bp


@bp.route("/packing/boxes", methods=["GET", "POST"])
@allow("admin")
def box_presets():
    """The box presets, and a form to add one."""
    if request.method == "POST":
        return _save_box(None)
    return render_template("packing/boxes.html", presets=boxes.presets(active_only=False),
                           editing=None)


@bp.route("/packing/boxes/<int:preset_id>", methods=["GET", "POST"])
@allow("admin")
def box_preset(preset_id):
    """Change one box preset."""
    preset = db.get_or_404(BoxPreset, preset_id)
    if request.method == "POST":
        return _save_box(preset.id)
    return render_template("packing/boxes.html", presets=boxes.presets(active_only=False),
                           editing=preset)


def _save_box(preset_id):
    """Save the posted preset; the list again with a message."""
    values = {**request.form.to_dict(), "active": "active" in request.form}
    try:
        box = boxes.save_preset(values, preset_id)
    except boxes.BoxError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(request.url)
    db.session.commit()
    flash(_("Box %(code)s saved.", code=box.code), "ok")
    return redirect(url_for("packing.box_presets"))


@bp.route("/packing/stations", methods=["GET", "POST"])
@allow("admin")
def station_list():
    """Packing stations and their label printers, and a form to add one."""
    if request.method == "POST":
        return _save_station(None)
    return render_template("packing/stations.html", stations=stations.all_stations(),
                           editing=None)


@bp.route("/packing/stations/<int:station_id>", methods=["GET", "POST"])
@allow("admin")
def station_edit(station_id):
    """Change one station's name or printer."""
    station = db.get_or_404(PackingStation, station_id)
    if request.method == "POST":
        return _save_station(station.id)
    return render_template("packing/stations.html", stations=stations.all_stations(),
                           editing=station)


def _save_station(station_id):
    """Save the posted station; the list again with a message."""
    try:
        station = stations.save_station(request.form.to_dict(), station_id)
    except stations.StationError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(request.url)
    db.session.commit()
    flash(_("Station %(code)s saved.", code=station.code), "ok")
    return redirect(url_for("packing.station_list"))
