"""Code128 labels as inline SVG, sized for label printers and A4 sheets."""
import io
import re

import barcode
from barcode.writer import SVGWriter

# Page sizes in millimetres and how many labels each page holds.
LAYOUTS = {
    "100x150": {"page": (100, 150), "per_page": 1, "bar_width": 90, "bar_height": 40},
    "50x30": {"page": (50, 30), "per_page": 1, "bar_width": 46, "bar_height": 12},
    "a4": {"page": (210, 297), "per_page": 24, "bar_width": 62, "bar_height": 14},
}
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
QUIET_ZONE_MM = 2.5


def modules(value):
    """The Code128 module pattern ('1' bar, '0' space) python-barcode encodes for value."""
    return "".join(barcode.get("code128", value).build())


def code128_svg(value, width_mm, height_mm):
    """Inline SVG of value as Code128, at most width_mm wide including quiet zones.

    The module width is chosen to fill the space, capped at 0.5 mm: wider bars
    scan better from a distance, but the code must fit the label.
    """
    count = len(modules(value))
    module_mm = min(0.5, (width_mm - 2 * QUIET_ZONE_MM) / count)
    svg = io.BytesIO()
    barcode.get("code128", value, writer=SVGWriter()).write(svg, options={
        "module_width": round(module_mm, 4), "module_height": height_mm,
        "quiet_zone": QUIET_ZONE_MM, "write_text": False, "margin_top": 0,
        "margin_bottom": 0})
    text = _PROLOGUE.sub("", svg.getvalue().decode("utf-8"), count=1)
    return text.replace("<svg ", f'<svg role="img" aria-label="{_escape(value)}" ', 1)


def _escape(value):
    """Escape a value for an XML attribute."""
    return (value.replace("&", "&amp;").replace('"', "&quot;")
            .replace("<", "&lt;").replace(">", "&gt;"))


def layout(name):
    """The layout for a size name, defaulting to the 50x30 mm label."""
    return LAYOUTS.get(name, LAYOUTS["50x30"])
