"""Thermal label printers: the label as ZPL, sent raw over TCP (port 9100) by a job.

Network label printers (Zebra and the many that speak its ZPL) take a label as
plain ZPL text on TCP port 9100 and answer nothing. A label is 100 x 150 mm at
203 dpi (8 dots per mm): 800 x 1200 dots. The tracking number is a Code128 field
(^BC) so the courier's scanner reads it.
"""
import socket

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..timeutil import utcnow
from .documents import sender
from .models import LabelPrint, PackingStation, Parcel

DOTS_PER_MM = 8
SEND_TIMEOUT = 10  # seconds; a printer that takes longer is treated as unreachable
DEFAULT_PORT = 9100


class PrintError(ValueError):
    """A print that cannot be queued; the message is shown."""


def _field(text):
    """A ^FD field: ^FH\\ lets \\XX stand for a byte, so ^ ~ and \\ cannot end it early."""
    safe = []
    for char in str(text):
        if char in "^~\\" or ord(char) < 32:
            safe.extend(f"\\{byte:02X}" for byte in char.encode("utf-8"))
        else:
            safe.append(char)
    return "^FH\\^FD" + "".join(safe) + "^FS"


def label_zpl(shipment, parcel):
    """The parcel's 100 x 150 mm label as ZPL II (UTF-8, ^CI28)."""
    order = shipment.order
    index = shipment.parcels.index(parcel) + 1
    mm = DOTS_PER_MM
    address = [f"{order.ship_name}  {order.ship_phone}", order.ship_line1,
               f"{order.ship_city} {order.ship_province} {order.ship_postcode}",
               order.ship_country]
    parts = ["^XA", "^CI28", f"^PW{100 * mm}", f"^LL{150 * mm}", "^LH0,0",
             f"^FO{5 * mm},{5 * mm}^A0N,{7 * mm},{7 * mm}" + _field(shipment.carrier.upper()),
             f"^FO{80 * mm},{5 * mm}^A0N,{5 * mm},{5 * mm}" + _field(f"{index}/{len(shipment.parcels)}"),
             f"^FO{5 * mm},{17 * mm}^A0N,{3 * mm},{3 * mm}" + _field(f"FROM: {sender()}"),
             f"^FO{5 * mm},{26 * mm}^GB{90 * mm},3,3^FS",
             f"^FO{5 * mm},{30 * mm}^A0N,{3 * mm},{3 * mm}" + _field("TO:")]
    for n, text in enumerate(address):
        height = 4 * mm if n == 0 else 3 * mm + 4
        parts.append(f"^FO{5 * mm},{(36 + 8 * n) * mm}^A0N,{height},{height}" + _field(text))
    parts += [f"^FO{5 * mm},{76 * mm}^A0N,{4 * mm},{4 * mm}"
              + _field(f"ORDER {order.number} - {parcel.weight_g} g"),
              # Code128, 30 mm tall, no interpretation line (printed larger below).
              f"^FO{8 * mm},{90 * mm}^BY3^BCN,{30 * mm},N,N,N" + _field(parcel.tracking_number),
              f"^FO{5 * mm},{128 * mm}^A0N,{6 * mm},{5 * mm}^FB{90 * mm},1,0,C"
              + _field(parcel.tracking_number), "^XZ"]
    return "\n".join(parts) + "\n"


def send_raw(host, port, data, timeout=SEND_TIMEOUT):
    """Deliver bytes to a raw-TCP printer; OSError when it cannot be reached."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)


def queue_prints(shipment):
    """A LabelPrint row per parcel for the shipment's station printer; [] without one."""
    station = db.session.get(PackingStation, shipment.station_id) if shipment.station_id else None
    if station is None or not station.printer_host:
        return []
    rows = [LabelPrint(parcel_id=p.id, station_id=station.id) for p in shipment.parcels
            if p.tracking_number]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def send_print(print_id, final_attempt):
    """Send one queued label; record success or the error. Returns the row.

    A row already sent is left alone (a job run twice prints once). When the
    printer cannot be reached the row keeps the error; it turns 'failed' on the
    final attempt, and the caller re-raises so RQ retries the others.
    """
    row = db.session.get(LabelPrint, print_id)
    if row is None or row.status == "sent":
        return row
    parcel, station = db.session.get(Parcel, row.parcel_id), row.station
    row.attempts += 1
    if not station.printer_host:  # taken away since: never guess (None means localhost)
        row.status, row.error = "failed", _("This packing station has no label printer set up.")
        return row
    try:
        zpl = label_zpl(parcel.shipment, parcel)
        send_raw(station.printer_host, station.printer_port or DEFAULT_PORT, zpl.encode("utf-8"))
    except OSError as error:
        row.error = _("Printer %(host)s:%(port)d not reachable (attempt %(n)d): %(error)s",
                      host=station.printer_host, port=station.printer_port, n=row.attempts,
                      error=error.strerror or type(error).__name__)
        row.status = "failed" if final_attempt else "queued"
        raise
    row.status, row.error, row.sent_at = "sent", None, utcnow()
    return row


def retry_intervals():
    """Seconds between tries of a label print (config LABEL_PRINT_RETRY_SECONDS)."""
    return list(current_app.config.get("LABEL_PRINT_RETRY_SECONDS", (5, 30, 120)))


def prints_of(shipment):
    """The label prints of a shipment's parcels, newest first."""
    ids = [p.id for p in shipment.parcels]
    if not ids:
        return []
    return db.session.scalars(select(LabelPrint).where(LabelPrint.parcel_id.in_(ids))
                              .order_by(LabelPrint.id.desc())).all()


def reprint(shipment, station):
    """Queue every booked label of the shipment again, to `station`'s printer."""
    if station is None or not station.printer_host:
        raise PrintError(_("This packing station has no label printer set up."))
    if shipment.status != "booked":
        raise PrintError(_("The labels are printed once the shipment is booked."))
    shipment.station_id = station.id
    return queue_prints(shipment)
