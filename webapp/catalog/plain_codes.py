"""Plain (non-GS1) codes: the GS1 mod-10 check digit, cleaning a scan, classify().

Numeric retail codes (EAN-13, UPC-A, EAN-8, GTIN-14) carry a mod-10 check digit (GS1
General Specifications, 7.9); anything else printable is accepted as Code128.
Separate from ``gs1`` and ``barcodes`` because a product form classifies a typed code
without reading a scan, and packing and handoff only clean() one; the check digit
is shared with the GS1 element checks.
"""
import re
import unicodedata

from .scan_result import BarcodeError, Message

# AIM symbology identifiers a scanner may prefix (]C1 = GS1-128, ]E0 = EAN, ...).
_SYMBOLOGY_ID = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_CODE128_OK = re.compile(r"^[\x20-\x7e]{1,64}$")


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
