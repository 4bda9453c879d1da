"""Packing stations: the benches and the network label printer at each."""
import re

from flask_babel import gettext as _
from sqlalchemy import select

from ..catalog.plain_codes import clean
from ..extensions import db
from .models import PackingStation

# A printer is named by an IP address or a host name: nothing else reaches a socket.
HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,253}[A-Za-z0-9])?|\[?[0-9A-Fa-f:]{2,39}\]?")


class StationError(ValueError):
    """A station that cannot be saved; the message is shown."""


def all_stations():
    """Every station, by code."""
    return db.session.scalars(select(PackingStation).order_by(PackingStation.code)).all()


def save_station(values, station_id=None):
    """Create or change a station from form values; StationError says what is wrong."""
    code = clean(values.get("code", "")).upper()
    name = str(values.get("name", "")).strip()
    host = str(values.get("printer_host", "")).strip()
    port = str(values.get("printer_port", "") or "9100").strip()
    if not code or len(code) > 32 or not name or len(name) > 80:
        raise StationError(_("Give the station a code (up to 32 characters) and a name "
                             "(up to 80)."))
    if host and not HOST.fullmatch(host):
        raise StationError(_("The printer address must be an IP address or a host name."))
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise StationError(_("The printer port must be a number from 1 to 65535 (usually "
                             "9100)."))
    clash = db.session.scalar(select(PackingStation.id).where(PackingStation.code == code))
    if clash is not None and clash != station_id:
        raise StationError(_("Another station already has the code %(code)s.", code=code))
    station = db.session.get(PackingStation, station_id) if station_id else PackingStation()
    if station is None:
        raise StationError(_("No such station."))
    station.code, station.name = code, name
    station.printer_host, station.printer_port = host.strip("[]") or None, int(port)
    db.session.add(station)
    db.session.flush()
    return station
