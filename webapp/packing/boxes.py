"""Box presets: the box types at the station, the one a parcel went into, a suggestion."""
from flask_babel import gettext as _
from sqlalchemy import select

from ..catalog.plain_codes import clean
from ..extensions import db
from .models import BoxPreset

MAX_SIDE_MM = 3_000
MAX_TARE_G = 20_000
# Units never fill a box exactly: a box is suggested only with this much room spare.
SLACK = 1.15


class BoxError(ValueError):
    """A box preset that cannot be saved or used; the message is shown."""


def presets(active_only=True):
    """Box presets, smallest first."""
    query = select(BoxPreset)
    if active_only:
        query = query.where(BoxPreset.active.is_(True))
    rows = db.session.scalars(query).all()
    return sorted(rows, key=lambda b: (b.volume, b.code))


def by_code(raw_code):
    """The active preset a scanned or chosen code names, or None."""
    code = clean(raw_code or "").upper()
    if not code:
        return None
    return db.session.scalar(select(BoxPreset).where(BoxPreset.code == code,
                                                     BoxPreset.active.is_(True)))


def apply_preset(parcel):
    """A parcel dict whose box_code, when given, sets its size; refuses unknown codes
    and a weight lighter than the empty box."""
    code = str(parcel.get("box_code") or "").strip()
    if not code:
        return {**parcel, "box_code": None}
    box = by_code(code)
    if box is None:
        raise BoxError(_("No box preset %(code)s.", code=clean(code).upper()))
    weight = str(parcel.get("weight_g", "")).strip()
    if weight.isascii() and weight.isdigit() and int(weight) < box.tare_g:
        raise BoxError(_("The weight (%(weight)s g) is less than the empty box %(code)s "
                         "(%(tare)d g).", weight=weight, code=box.code, tare=box.tare_g))
    return {**parcel, "box_code": box.code, "length_mm": box.inner_length_mm,
            "width_mm": box.inner_width_mm, "height_mm": box.inner_height_mm}


def suggest(order):
    """The smallest preset the order's units fit in, or None when a size is unknown."""
    sizes, volume = [], 0
    for line in order.lines:
        product = line.product
        dims = product and (product.length_mm, product.width_mm, product.height_mm)
        if not dims or not all(dims):
            return None
        sizes.append(sorted(dims))
        volume += line.quantity * dims[0] * dims[1] * dims[2]
    if not sizes:
        return None
    largest = [max(s[i] for s in sizes) for i in range(3)]
    for box in presets():
        inner = sorted((box.inner_length_mm, box.inner_width_mm, box.inner_height_mm))
        if box.volume >= volume * SLACK and all(a <= b for a, b in zip(largest, inner)):
            return box
    return None


def save_preset(values, preset_id=None):
    """Create or change a preset from form values; BoxError names the bad field."""
    code = clean(values.get("code", "")).upper()
    name = str(values.get("name", "")).strip()
    if not code or len(code) > 32 or not name or len(name) > 80:
        raise BoxError(_("Give the box a code (up to 32 characters) and a name (up to 80)."))
    numbers = {}
    for field, label, low, high in (("inner_length_mm", _("Length"), 1, MAX_SIDE_MM),
                                    ("inner_width_mm", _("Width"), 1, MAX_SIDE_MM),
                                    ("inner_height_mm", _("Height"), 1, MAX_SIDE_MM),
                                    ("tare_g", _("Empty weight"), 0, MAX_TARE_G)):
        text = str(values.get(field, "")).strip()
        if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
            raise BoxError(_("%(field)s must be a whole number from %(low)d to %(high)d.",
                             field=label, low=low, high=high))
        numbers[field] = int(text)
    clash = db.session.scalar(select(BoxPreset.id).where(BoxPreset.code == code))
    if clash is not None and clash != preset_id:
        raise BoxError(_("Another box already has the code %(code)s.", code=code))
    box = db.session.get(BoxPreset, preset_id) if preset_id else BoxPreset()
    if box is None:
        raise BoxError(_("No such box preset."))
    box.code, box.name, box.active = code, name, bool(values.get("active", True))
    for field, number in numbers.items():
        setattr(box, field, number)
    db.session.add(box)
    db.session.flush()
    return box
