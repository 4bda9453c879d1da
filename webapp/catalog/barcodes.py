"""Reading a scan: read_scan() / parse(), and the stored forms a code may match.

read_scan() is the one parse at the edge of every scan field (lookup, picking,
packing, and every screen to come): it answers what the scan holds (GTIN, SSCC,
lot, serial, expiry and other dates as dates, the keys to look it up by) or a
refusal with its reason.

The one place the server decides what a code is. Numeric retail codes carry a
mod-10 check digit (GS1 General Specifications, 7.9); GS1-128 / GS1 DataMatrix /
GS1 QR carry element strings (AI + data, variable fields ended by GS); anything
else printable is accepted as Code128. This module decides which of them a scan is;
the rules of each are in ``plain_codes`` and ``gs1``, and what a parse answers
(ParsedBarcode, or a refusal's Message) in ``scan_result``.

static/js/barcodes.js applies the same rules in the browser; both are run over
the cases in tests/cases/barcodes.json and must agree, message for message.
"""
import unicodedata
from datetime import datetime, timezone

from .gs1 import GS, _parse_gs1
from .plain_codes import _SYMBOLOGY_ID, _classify_clean, is_numeric
from .scan_result import BarcodeError, Message, ParsedBarcode


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
_RETAIL = {8: "ean8", 12: "upca", 13: "ean13", 14: "gtin"}
_GS1_SYMBOLOGIES = {"]C1", "]d2", "]Q3", "]e0"}  # GS1-128, GS1 DataMatrix, GS1 QR, DataBar
_EAN_SYMBOLOGIES = {"]E0", "]E4"}                 # EAN-13/UPC-A, EAN-8


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
