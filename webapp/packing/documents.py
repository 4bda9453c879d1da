"""Shipping labels (100 x 150 mm) as standalone SVG, with the tracking number in Code128."""
from markupsafe import escape

from ..catalog.labels import code128_svg

LABEL_W, LABEL_H = 100, 150  # millimetres
PX_PER_MM = 96 / 25.4


def sender():
    """The warehouse's return address, from settings (one place)."""
    from flask import current_app
    return current_app.config.get("SENDER_ADDRESS", "Warehouse · Main warehouse")


def render_label(shipment, parcel):
    """The parcel's shipping label: a complete SVG document in millimetre units."""
    order = shipment.order
    count = len(shipment.parcels)
    index = shipment.parcels.index(parcel) + 1
    bars = code128_svg(parcel.tracking_number, 90, 30)
    bars = bars.replace("<svg ", '<svg x="5mm" y="92mm" ', 1)
    address = [order.ship_name + "  " + order.ship_phone, order.ship_line1,
               f"{order.ship_city} {order.ship_province} {order.ship_postcode}",
               order.ship_country]
    lines = "".join(
        f'<text x="5mm" y="{40 + 8 * i}mm" font-size="{4.2 if i == 0 else 3.6}mm">'
        f"{escape(text)}</text>" for i, text in enumerate(address))
    return (
        # viewBox in CSS px (96 per inch) so "5mm" inside still means 5 mm, and the
        # label can shrink to a phone's width on screen and print at full size.
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL_W}mm" height="{LABEL_H}mm" '
        f'viewBox="0 0 {LABEL_W * PX_PER_MM:.2f} {LABEL_H * PX_PER_MM:.2f}" '
        f'font-family="sans-serif" data-tracking="{escape(parcel.tracking_number)}">'
        f'<rect width="100%" height="100%" fill="white"/>'
        f'<text x="5mm" y="12mm" font-size="7mm" font-weight="bold">'
        f'{escape(shipment.carrier.upper())}</text>'
        f'<text x="95mm" y="12mm" font-size="5mm" text-anchor="end">{index}/{count}</text>'
        f'<text x="5mm" y="22mm" font-size="3.2mm">FROM: {escape(sender())}</text>'
        f'<line x1="5mm" y1="27mm" x2="95mm" y2="27mm" stroke="black" stroke-width="0.4mm"/>'
        f'<text x="5mm" y="33mm" font-size="3.2mm">TO:</text>{lines}'
        f'<text x="5mm" y="80mm" font-size="4mm">ORDER {escape(order.number)} · '
        f'{parcel.weight_g} g</text>'
        f'{bars}'
        f'<text x="50mm" y="130mm" font-size="6mm" text-anchor="middle" '
        f'font-family="monospace">{escape(parcel.tracking_number)}</text>'
        f'</svg>')
