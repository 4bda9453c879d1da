"""The SVG a signature pad sends, checked and rebuilt from an allow-list.

Nothing of the input is copied through as text: the drawing is parsed (DTDs and
entities refused), every element and attribute is checked against the lists
below, and a new document is written from the values that passed. So a
signature can be shown inline on a printed document without carrying a script,
a link or a reference to anything outside it.
"""
import re
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask_babel import gettext as _

MAX_BYTES = 200_000
SVG_NS = "http://www.w3.org/2000/svg"
NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER = re.compile(rf"{NUMBER}(?:px)?")
_VIEWBOX = re.compile(rf"\s*{NUMBER}(?:[\s,]+{NUMBER}){{3}}\s*")
_PATH_DATA = re.compile(r"[MmLlHhVvCcSsQqTtAaZz0-9eE.,+\-\s]*")
_POINTS = re.compile(r"[0-9eE.,+\-\s]*")
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|rgba?\(\s*[\d.%,\s]+\)|[a-zA-Z]{1,20}")
_ENUMS = {"stroke-linecap": {"butt", "round", "square"},
          "stroke-linejoin": {"miter", "round", "bevel"}}
_GEOMETRY = {"d": _PATH_DATA, "points": _POINTS, "viewBox": _VIEWBOX,
             "stroke": _COLOUR, "fill": _COLOUR}
_NUMERIC = {"x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "stroke-width",
            "opacity", "stroke-opacity", "fill-opacity"}
# circle: signature_pad draws a dot (a tap) as a circle.
ALLOWED = {"svg": {"viewBox", "width", "height"},
           "g": {"stroke", "fill", "stroke-width", "stroke-linecap", "stroke-linejoin"},
           "path": {"d", "stroke", "fill", "stroke-width", "stroke-linecap", "stroke-linejoin"},
           "polyline": {"points", "stroke", "fill", "stroke-width", "stroke-linecap",
                        "stroke-linejoin"},
           "line": {"x1", "y1", "x2", "y2", "stroke", "stroke-width", "stroke-linecap"},
           "circle": {"cx", "cy", "r", "fill", "stroke", "stroke-width"}}
# Elements that are harmless notes: dropped. Anything else is refused.
DROPPED = {"title", "desc", "metadata"}
STROKES = {"path", "polyline", "line", "circle"}


class SignatureRejected(ValueError):
    """The drawing cannot be kept as a signature; the message says why."""


def clean_svg(raw):
    """A safe SVG string rebuilt from `raw`, or SignatureRejected with the reason."""
    if raw is None or not str(raw).strip():
        raise SignatureRejected(_("Please sign in the box first."))
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(data) > MAX_BYTES:
        raise SignatureRejected(_("The signature is too large (over %(kb)d KB). Clear it and "
                                  "sign again.", kb=MAX_BYTES // 1000))
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError):
        raise SignatureRejected(_("The signature could not be read. Clear it and sign again."))
    if _local(root.tag) != "svg":
        raise SignatureRejected(_("The signature could not be read. Clear it and sign again."))
    clean = Element("svg", {"xmlns": SVG_NS})
    strokes = _copy(root, clean)
    if not strokes:
        raise SignatureRejected(_("Please sign in the box first."))
    return tostring(clean, encoding="unicode")


def _local(tag):
    """'path' from '{http://www.w3.org/2000/svg}path'; foreign namespaces refused."""
    if not isinstance(tag, str):  # a comment or processing instruction
        return None
    if tag.startswith("{"):
        namespace, _sep, name = tag[1:].partition("}")
        if namespace != SVG_NS:
            raise SignatureRejected(_("The signature contains content that is not allowed."))
        return name
    return tag


def _copy(source, target):
    """Copy the allowed attributes and children of source into target; count strokes."""
    _copy_attributes(source, target)
    strokes = 0
    for child in source:
        name = _local(child.tag)
        if name is None or name in DROPPED:
            continue
        if name not in ALLOWED or name == "svg":
            raise SignatureRejected(
                _("The signature contains content that is not allowed (%(name)s).", name=name))
        copy = SubElement(target, name)
        strokes += _copy(child, copy)  # first: the attributes tell whether it draws
        strokes += _draws(copy)
    return strokes


def _draws(element):
    """1 when the element leaves a mark (a path with coordinates, a line, a dot)."""
    if element.tag == "path":
        return int(any(c.isdigit() for c in element.get("d", "")))
    if element.tag == "polyline":
        return int(any(c.isdigit() for c in element.get("points", "")))
    return int(element.tag in STROKES)


def _copy_attributes(source, target):
    """Keep geometry and stroke attributes with well-formed values; refuse the dangerous."""
    allowed = ALLOWED[target.tag]
    for key, value in source.attrib.items():
        name = key.rsplit("}", 1)[-1]
        if name.lower().startswith("on") or name.lower() in ("href", "style", "src"):
            raise SignatureRejected(
                _("The signature contains content that is not allowed (%(name)s).", name=name))
        if key.startswith("{") or name not in allowed:
            continue  # xml:space, version and the like: not needed to draw
        value = value.strip()
        if not _valid(name, value):
            raise SignatureRejected(
                _("The signature contains content that is not allowed (%(name)s).", name=name))
        target.set(name, value)


def _valid(name, value):
    """True when value is a plain number, colour, path or keyword as the attribute needs."""
    if name in _ENUMS:
        return value in _ENUMS[name]
    if name in _NUMERIC:
        return bool(_NUMBER.fullmatch(value))
    return bool(_GEOMETRY[name].fullmatch(value))
