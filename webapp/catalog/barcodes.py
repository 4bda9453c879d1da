"""Barcode rules: check digits, symbology detection, GS1 element strings, normalisation.

read_scan() is the one parse at the edge of every scan field (lookup, picking,
packing, and every screen to come): it answers what the scan holds (GTIN, SSCC,
lot, serial, expiry and other dates as dates, the keys to look it up by) or a
refusal with its reason.

The one place the server decides what a code is. Numeric retail codes carry a
mod-10 check digit (GS1 General Specifications, 7.9); GS1-128 / GS1 DataMatrix /
GS1 QR carry element strings (AI + data, variable fields ended by GS); anything
else printable is accepted as Code128.

static/js/barcodes.js applies the same rules in the browser; both are run over
the cases in tests/cases/barcodes.json and must agree, message for message.
"""
import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone

# AIM symbology identifiers a scanner may prefix (]C1 = GS1-128, ]E0 = EAN, ...).
_SYMBOLOGY_ID = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_CODE128_OK = re.compile(r"^[\x20-\x7e]{1,64}$")


class BarcodeError(ValueError):
    """A code that cannot be a valid barcode; the message is shown to people."""


class Message(str):
    """What is wrong with a code, in English, remembering the template and values it
    was made from: the edge translates it (catalog.services.refusal, and the device
    from its page's strings). The templates are listed in MESSAGES."""

    def __new__(cls, template, **values):
        text = super().__new__(cls, template % values if values else template)
        text.template, text.values = template, values
        return text

    def as_dict(self):
        """{template, values}: what static/js/barcodes.js gives as a problem."""
        return {"template": self.template, "values": self.values}


# Every template of a Message and every AI name, for the translations (zh-CN) and the
# device's page strings (webapp/templating.py barcode_strings).
MESSAGES = (
    "The barcode is empty.",
    "A Code128 barcode holds 1 to 64 printable ASCII characters.",
    "Unknown barcode type: %(kind)s",
    "A %(kind)s barcode has exactly %(n)d digits.",
    "The check digit of %(code)s is wrong (expected %(digit)s).",
    "An EAN/UPC barcode (%(symbology)s) holds 8, 12 or 13 digits.",
    "Unknown GS1 application identifier: %(ai)s.",
    "GS1 AI %(ai)s appears more than once.",
    "GS1 text in the (AI)data form is malformed.",
    "GS1 AI %(ai)s (%(name)s): the check digit of %(value)s is wrong (expected %(digit)s).",
    "GS1 AI %(ai)s (%(name)s): %(value)s is not a valid YYMMDD date.",
    "GS1 AI %(ai)s (%(name)s) needs exactly %(n)d digits.",
    "GS1 AI %(ai)s (%(name)s) holds 1 to %(n)d digits.",
    "GS1 AI %(ai)s (%(name)s) holds 1 to %(n)d characters of the GS1 character set.",
)


def gs1_check_digit(digits):
    """The mod-10 check digit for a GTIN/EAN/UPC body (without its check digit)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        weight = 3 if position % 2 == 0 else 1
        total += int(char) * weight
    return str((10 - total % 10) % 10)


def is_numeric(code):
    """True for ASCII digits only (str.isdigit also accepts other scripts' digits)."""
    return code.isascii() and code.isdigit()


def has_valid_check_digit(code):
    """True when the last digit of a numeric code is its GS1 check digit."""
    return is_numeric(code) and len(code) >= 2 and gs1_check_digit(code[:-1]) == code[-1]


def clean(raw):
    """Strip whitespace, a trailing CR/LF/Tab and an AIM symbology identifier.

    NFKC turns full-width characters typed with a Chinese IME (４００６…) into ASCII.
    """
    code = unicodedata.normalize("NFKC", raw or "").strip()
    return _SYMBOLOGY_ID.sub("", code, count=1).strip()


def classify(raw, symbology=None):
    """Return (code, symbology) for a raw scan or typed code, or raise BarcodeError.

    With `symbology` given the code must fit it; without, the kind is inferred
    from the length of an all-digit code (8, 12, 13, 14) and Code128 otherwise.
    """
    return _classify_clean(clean(raw), symbology)


def _classify_clean(code, symbology=None):
    """classify() for a code already cleaned (clean() is not idempotent on ']C1]C1...')."""
    if not code:
        raise BarcodeError(Message("The barcode is empty."))
    numeric = {8: "ean8", 12: "upca", 13: "ean13", 14: "gtin"}
    kind = symbology or (numeric.get(len(code)) if is_numeric(code) else "code128")
    kind = kind or "code128"
    if kind == "code128":
        if not _CODE128_OK.match(code):
            raise BarcodeError(Message("A Code128 barcode holds 1 to 64 printable ASCII characters."))
        return code, kind
    expected = {"ean8": 8, "upca": 12, "ean13": 13, "gtin": 14}.get(kind)
    if expected is None:
        raise BarcodeError(Message("Unknown barcode type: %(kind)s", kind=kind))
    if not is_numeric(code) or len(code) != expected:
        raise BarcodeError(Message("A %(kind)s barcode has exactly %(n)d digits.",
                                   kind=kind.upper(), n=expected))
    if not has_valid_check_digit(code):
        raise BarcodeError(Message("The check digit of %(code)s is wrong (expected %(digit)s).",
                                   code=code, digit=gs1_check_digit(code[:-1])))
    return code, kind


def lookup_keys(code):
    """The stored forms a scanned code may match.

    A UPC-A scanned by an EAN reader arrives as 13 digits with a leading 0, a
    GTIN-14 may wrap an EAN-13 with a leading 0: all name the same product.
    A GS1 element string (a GS1-128 carton label) also yields its SSCC and the
    forms of its GTIN (AI 01, else AI 02), so the carton resolves to the product's
    EAN-13.
    """
    keys = [code] + _numeric_forms(code)
    parsed = parse(code) if not is_numeric(code) or len(code) not in _RETAIL else None
    if parsed is not None and parsed.kind == "gs1":
        if "00" in parsed.ais:
            keys.append(parsed.ais["00"])
        if parsed.gtin:
            keys += _numeric_forms(parsed.gtin)
    return list(dict.fromkeys(keys))


def _numeric_forms(code):
    """A numeric code zero-padded or -stripped to each retail width it fits."""
    if not is_numeric(code):
        return []
    stripped = code.lstrip("0")
    return [stripped.zfill(width) for width in (8, 12, 13, 14) if len(stripped) <= width]


# ---------------------------------------------------------------- parse(): GS1 and the rest
GS = "\x1d"  # ASCII 29, what a scanner sends for FNC1 between variable-length fields
_RETAIL = {8: "ean8", 12: "upca", 13: "ean13", 14: "gtin"}
_GS1_SYMBOLOGIES = {"]C1", "]d2", "]Q3", "]e0"}  # GS1-128, GS1 DataMatrix, GS1 QR, DataBar
_EAN_SYMBOLOGIES = {"]E0", "]E4"}                 # EAN-13/UPC-A, EAN-8
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


@dataclass
class ParsedBarcode:
    """What a scan holds. `errors` lists every problem found; empty means valid.

    `text` is the scan as read (cleaned, without the scanner's prefix): what a
    location code or a SKU is matched against. `keys` are the stored forms a
    product barcode or SSCC may take (just `text` when the scan is refused).
    """
    symbology_id: str | None
    kind: str | None           # gs1, ean13, upca, ean8, gtin, code128 (None: empty)
    code: str                  # the primary code: SSCC, GTIN or the cleaned text
    gtin: str | None = None    # GTIN-14 of a retail code, or AI 01 (else 02) of GS1
    ais: dict = field(default_factory=dict)      # element data as read (dates as YYMMDD)
    errors: list = field(default_factory=list)
    text: str = ""
    keys: list = field(default_factory=list)
    sscc: str | None = None
    lot: str | None = None
    serial: str | None = None
    count: str | None = None
    expiry: date | None = None
    best_before: date | None = None
    sell_by: date | None = None
    due_date: date | None = None
    production_date: date | None = None
    packaging_date: date | None = None

    @property
    def ok(self):
        """True when nothing is wrong with the code."""
        return not self.errors

    @property
    def reason(self):
        """Why the scan is refused (every problem, in one line, English), or None."""
        return " ".join(self.errors) or None

    @property
    def problems(self):
        """The errors as {template, values}, for the edge to translate."""
        return [e.as_dict() if isinstance(e, Message) else {"template": e, "values": {}}
                for e in self.errors]

    def as_dict(self):
        """The plain-dict form (what static/js/barcodes.js parse() returns), dates ISO."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out = {name: value.isoformat() if isinstance(value, date) else value
               for name, value in out.items()}
        return {**out, "errors": [str(e) for e in self.errors], "problems": self.problems}


def read_scan(raw, today=None):
    """The one parse at the edge of a scan field: a ParsedBarcode, valid or refused.

    Callers match `text` against location codes and SKUs and `keys` against
    product barcodes; a refused scan (not `ok`) that matches nothing stored
    verbatim is answered with its `reason`, never "Unknown barcode".
    """
    return parse(raw, today=today)


def parse(raw, strict=False, today=None):
    """Parse a raw scan into a ParsedBarcode; with `strict`, raise BarcodeError if invalid.

    GS1 when the scanner's identifier says so (]C1, ]d2, ]Q3, ]e0), the data has a
    GS or is in the (AI)data human-readable form, or (unprefixed) it starts with
    AI 00/01/02 and parses cleanly as GS1; otherwise EAN/UPC/GTIN by length, or Code128.
    `today` (a date) places two-digit years in their century; the current UTC date by default.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    match = _SYMBOLOGY_ID.match(text)
    symbology = match.group(0) if match else None
    code = text[len(symbology or ""):].strip()
    today = today or datetime.now(timezone.utc).date()
    if not code:
        result = ParsedBarcode(symbology, None, "", errors=[Message("The barcode is empty.")])
    elif symbology in _GS1_SYMBOLOGIES or code.startswith("(") or GS in code:
        result = _parse_gs1(symbology, code, today)
    elif symbology in _EAN_SYMBOLOGIES and not (is_numeric(code) and len(code) in (8, 12, 13)):
        result = ParsedBarcode(symbology, None, code, errors=[Message(
            "An EAN/UPC barcode (%(symbology)s) holds 8, 12 or 13 digits.", symbology=symbology)])
    else:
        result = _parse_plain(symbology, code, today)
    result.text = code
    result.keys = _scan_keys(result)
    if strict and result.errors:
        raise BarcodeError(" ".join(result.errors))
    return result


def _scan_keys(result):
    """The stored forms a parsed scan may match: the text, then its GTIN/SSCC forms."""
    if not result.text:
        return []
    if not result.ok:
        return [result.text]
    keys = [result.text, result.code] + _numeric_forms(result.text)
    if result.sscc:
        keys.append(result.sscc)
    if result.gtin:
        keys += _numeric_forms(result.gtin)
    return list(dict.fromkeys(keys))


def _parse_plain(symbology, code, today):
    """A retail code by its length, else Code128 (or GS1 when it plainly is one)."""
    if not (is_numeric(code) and len(code) in _RETAIL) and code[:2] in ("00", "01", "02"):
        guess = _parse_gs1(symbology, code, today)
        if guess.ok:
            return guess
    try:
        code, kind = _classify_clean(code)
    except BarcodeError as error:
        kind = _RETAIL.get(len(code), "code128") if is_numeric(code) else "code128"
        return ParsedBarcode(symbology, kind, code, errors=[error.args[0]])
    return ParsedBarcode(symbology, kind, code, code.zfill(14) if kind != "code128" else None)


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
