"""GS1 element strings: the AI table, raw (GS-separated) and (AI)data text, YYMMDD dates.

GS1-128 / GS1 DataMatrix / GS1 QR carry element strings (AI + data, variable fields
ended by GS). Separate from ``barcodes``, which decides whether a scan is GS1 at all,
because this part follows a specification of its own (the GS1 General Specifications,
cited rule by rule) and knows nothing of retail codes but their check digit.
"""
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from .plain_codes import gs1_check_digit, has_valid_check_digit, is_numeric
from .scan_result import Message, ParsedBarcode

GS = "\x1d"  # ASCII 29, what a scanner sends for FNC1 between variable-length fields
# GS1 AI encodable character set 82 (General Specifications, figure 7.11-1).
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+")
_HRI = re.compile(r"\(([0-9]{2,4})\)([^()]*)")
# Two-digit prefixes of four-digit AIs (31nn-36nn: measures, the last digit the decimals).
_FOUR_DIGIT = ("31", "32", "33", "34", "35", "36")


@dataclass(frozen=True)
class AI:
    """An application identifier: fixed length (digits) or up to `max_length` characters."""
    name: str
    length: int = 0          # fixed length; 0 when variable (ended by GS or the end)
    max_length: int = 0
    numeric: bool = True
    check: bool = False      # last digit is a GS1 mod-10 check digit
    date: bool = False       # YYMMDD


GS1_AIS = {
    "00": AI("SSCC", 18, check=True),
    "01": AI("GTIN", 14, check=True),
    "02": AI("content GTIN", 14, check=True),
    "10": AI("batch/lot", max_length=20, numeric=False),
    "11": AI("production date", 6, date=True),
    "12": AI("due date", 6, date=True),
    "13": AI("packaging date", 6, date=True),
    "15": AI("best before date", 6, date=True),
    "16": AI("sell by date", 6, date=True),
    "17": AI("expiry date", 6, date=True),
    "21": AI("serial number", max_length=20, numeric=False),
    "37": AI("count", max_length=8),
}
AI_NAMES = tuple(dict.fromkeys([spec.name for spec in GS1_AIS.values()] + ["measure"]))
# What read_scan() names each element (dates as dates).
_FIELDS = {"00": "sscc", "10": "lot", "21": "serial", "37": "count", "11": "production_date",
           "12": "due_date", "13": "packaging_date", "15": "best_before", "16": "sell_by",
           "17": "expiry"}


def _spec(ai):
    """The AI's rules: the table's, or a measure (31nn-36nn, six digits)."""
    if ai in GS1_AIS:
        return GS1_AIS[ai]
    if len(ai) == 4 and ai[:2] in _FOUR_DIGIT and is_numeric(ai):
        return AI("measure", 6)
    return None


def _parse_gs1(symbology, text, today):
    """An element string, raw (GS-separated) or in the (AI)data form."""
    ais, errors, found = {}, [], {}
    elements, trouble = _hri_elements(text) if text.startswith("(") else _raw_elements(text)
    for ai, value in elements:
        problem = _check_element(ai, value, today) if _spec(ai) else Message(
            "Unknown GS1 application identifier: %(ai)s.", ai=ai)
        if ai in ais:
            problem = Message("GS1 AI %(ai)s appears more than once.", ai=ai)
        if problem:
            errors.append(problem)
            continue
        ais[ai] = value
        if ai in _FIELDS:
            found[_FIELDS[ai]] = _date_of(value, today) if _spec(ai).date else value
    errors += trouble
    gtin = ais.get("01") or ais.get("02")
    hri = "".join(f"({ai}){value}" for ai, value in ais.items())
    primary = ais.get("00") or gtin or (text if errors else hri)
    return ParsedBarcode(symbology, "gs1", primary, gtin, ais, errors, **found)


def _raw_elements(text):
    """(ai, value) pairs of a raw element string, and the error that stopped it, if any.

    Without the parentheses the only way to know where a field ends is the AI's
    fixed length, or a GS: past an unknown AI nothing can be read.
    """
    elements, pos = [], 0
    while pos < len(text):
        if text[pos] == GS:  # a GS after a fixed-length field is allowed, and harmless
            pos += 1
            continue
        ai = text[pos:pos + (4 if text[pos:pos + 2] in _FOUR_DIGIT else 2)]
        spec = _spec(ai)
        if spec is None:
            return elements, [Message("Unknown GS1 application identifier: %(ai)s.", ai=ai)]
        pos += len(ai)
        if spec.length:
            value = text[pos:pos + spec.length]
            pos += len(value)
            if len(value) < spec.length or not is_numeric(value):
                return elements, [_length_message(ai, spec)]
        else:
            end = text.find(GS, pos)
            end = len(text) if end < 0 else end
            value, pos = text[pos:end], end
        elements.append((ai, value))
    return elements, []


def _hri_elements(text):
    """(ai, value) pairs of '(01)09506000134352(17)201225(10)ABC', and a format error."""
    matches = list(_HRI.finditer(text))
    if "".join(m.group(0) for m in matches) != text:
        return [], [Message("GS1 text in the (AI)data form is malformed.")]
    return [(m.group(1), m.group(2).strip()) for m in matches], []


def _check_element(ai, value, today):
    """The message for what is wrong with one element's value, or None."""
    spec = _spec(ai)
    if spec.length and (len(value) != spec.length or not is_numeric(value)):
        return _length_message(ai, spec)
    if not spec.length:
        fits = is_numeric(value) if spec.numeric else bool(_CSET82.fullmatch(value))
        if not 1 <= len(value) <= spec.max_length or not fits:
            return _length_message(ai, spec)
    if spec.check and not has_valid_check_digit(value):
        return Message("GS1 AI %(ai)s (%(name)s): the check digit of %(value)s is wrong "
                       "(expected %(digit)s).", ai=ai, name=spec.name, value=value,
                       digit=gs1_check_digit(value[:-1]))
    if spec.date and _date_of(value, today) is None:
        return Message("GS1 AI %(ai)s (%(name)s): %(value)s is not a valid YYMMDD date.",
                       ai=ai, name=spec.name, value=value)
    return None


def _length_message(ai, spec):
    """What one AI's value must look like."""
    if spec.length:
        return Message("GS1 AI %(ai)s (%(name)s) needs exactly %(n)d digits.",
                       ai=ai, name=spec.name, n=spec.length)
    if spec.numeric:
        return Message("GS1 AI %(ai)s (%(name)s) holds 1 to %(n)d digits.",
                       ai=ai, name=spec.name, n=spec.max_length)
    return Message("GS1 AI %(ai)s (%(name)s) holds 1 to %(n)d characters of the GS1 "
                   "character set.", ai=ai, name=spec.name, n=spec.max_length)


def gs1_year(yy, today):
    """The full year of a two-digit GS1 year (General Specifications 7.12): within
    49 years behind and 50 ahead of `today`'s year."""
    difference = yy - today.year % 100
    century = today.year - today.year % 100
    if 51 <= difference <= 99:
        century -= 100
    elif -99 <= difference <= -50:
        century += 100
    return century + yy


def _date_of(value, today):
    """The date of a YYMMDD value, or None when there is no such day. Day 00 means
    the last day of the month (GS1 General Specifications, 3.4: "DD filled with 00")."""
    year, month, day = gs1_year(int(value[:2]), today), int(value[2:4]), int(value[4:])
    if not 1 <= month <= 12:
        return None
    last = monthrange(year, month)[1]
    if day > last:
        return None
    return date(year, month, day or last)
