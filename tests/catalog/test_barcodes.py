"""Barcode rules: GS1 check digits, scanner prefixes, Code128, equivalent forms."""
import pytest

from webapp.catalog.barcodes import lookup_keys
from webapp.catalog.plain_codes import classify, clean, gs1_check_digit, has_valid_check_digit
from webapp.catalog.scan_result import BarcodeError

# Published examples (GS1 / manufacturers' packaging), each with a valid check digit.
VALID = [
    ("4006381333931", "ean13"),
    ("9780306406157", "ean13"),   # ISBN-13 as EAN
    ("6901234567892", "ean13"),
    ("036000291452", "upca"),
    ("012345678905", "upca"),
    ("96385074", "ean8"),
    ("40123455", "ean8"),
    ("00012345678905", "gtin"),  # the UPC-A above as a GTIN-14
    ("10614141000415", "gtin"),
]


def reference_check_digit(body):
    """GS1 mod-10 written independently: weights 3,1,3,... from the right, by index parity."""
    odd_from_right = sum(int(d) for d in body[::-1][0::2])
    even_from_right = sum(int(d) for d in body[::-1][1::2])
    return str(-(3 * odd_from_right + even_from_right) % 10)


@pytest.mark.parametrize("code,kind", VALID)
def test_valid_codes_are_classified_by_length(code, kind):
    """An all-digit code of 8, 12, 13 or 14 digits is EAN-8, UPC-A, EAN-13 or GTIN-14."""
    assert classify(code) == (code, kind)
    assert has_valid_check_digit(code)
    assert gs1_check_digit(code[:-1]) == reference_check_digit(code[:-1]) == code[-1]


@pytest.mark.parametrize("body", ["400638133393", "03600029145", "9638507", "0001234567890",
                                  "000000000000", "999999999999", "1"])
def test_check_digit_matches_an_independent_implementation(body):
    """Edge bodies (all zeros, all nines, one digit) agree with the reference."""
    assert gs1_check_digit(body) == reference_check_digit(body)


@pytest.mark.parametrize("code,kind", VALID)
def test_every_wrong_check_digit_is_refused_with_the_expected_one(code, kind):
    """Each of the nine wrong last digits is refused, naming the right one."""
    for digit in "0123456789".replace(code[-1], ""):
        with pytest.raises(BarcodeError, match=f"expected {code[-1]}"):
            classify(code[:-1] + digit)


@pytest.mark.parametrize("raw,expected", [
    ("]E04006381333931", ("4006381333931", "ean13")),   # EAN-13 with AIM prefix
    ("]E496385074", ("96385074", "ean8")),
    ("]C1ABC-123", ("ABC-123", "code128")),              # GS1-128 prefix
    ("]C0A-01-01-1", ("A-01-01-1", "code128")),
    ("  4006381333931\r\n", ("4006381333931", "ean13")),  # keyboard wedge suffix
    ("036000291452\t", ("036000291452", "upca")),
])
def test_symbology_identifiers_and_wedge_suffixes_are_stripped(raw, expected):
    """What the scanner adds around the data is not part of the code."""
    assert classify(raw) == expected


def test_clean_strips_only_one_leading_identifier():
    """A ']' later in the data is data."""
    assert clean("]C1AB]C1") == "AB]C1"


@pytest.mark.parametrize("code", ["A-01-01-1", "SKU 42/X", "x", "~" * 64, "12345",
                                  "1234567890"])
def test_printable_ascii_is_code128(code):
    """Anything printable that is not a retail length of digits is Code128."""
    assert classify(code) == (code, "code128")


@pytest.mark.parametrize("raw,kind,message", [
    ("", None, "empty"),
    ("   \r\n", None, "empty"),
    ("]E0", None, "empty"),
    ("4006381333932", None, "check digit"),
    ("12345", "ean13", "exactly 13 digits"),
    ("40063813339A1", "ean13", "exactly 13 digits"),
    ("4006381333931", "ean8", "exactly 8 digits"),
    ("4006381333931", "qr", "Unknown barcode type"),
    ("A" * 65, None, "1 to 64"),
    ("caf\u00e9", None, "printable ASCII"),
    ("A\x07B", None, "printable ASCII"),
    ("\u0664\u0660\u0660\u0666\u0663\u0668\u0661\u0663\u0663\u0663\u0669\u0663\u0661", None,
     "printable ASCII"),  # Arabic-Indic digits: not what a scanner reads
])
def test_malformed_codes_are_refused_with_a_message(raw, kind, message):
    """The message says what is wrong, so a person can act on it."""
    with pytest.raises(BarcodeError, match=message):
        classify(raw, kind)


def test_fullwidth_digits_from_a_chinese_keyboard_are_read_as_digits():
    """A code typed with a full-width IME (４００６...) is the same EAN-13."""
    assert classify("\uff14\uff10\uff10\uff16\uff13\uff18\uff11\uff13\uff13\uff13\uff19\uff13"
                    "\uff11") == ("4006381333931", "ean13")


def test_upca_and_its_ean13_and_gtin14_forms_share_lookup_keys():
    """A UPC-A read as EAN-13 (leading 0) or wrapped as GTIN-14 names the same product."""
    forms = ["036000291452", "0036000291452", "00036000291452"]
    for form in forms:
        assert set(forms) <= set(lookup_keys(form))


def test_ean8_lookup_keys_include_its_gtin14():
    """An EAN-8 stored as a GTIN-14 is found by its 8 digits."""
    assert "00000096385074" in lookup_keys("96385074")
    assert "96385074" in lookup_keys("00000096385074")


def test_lookup_keys_keep_the_code_first_and_do_not_repeat():
    """The exact form comes first; every key is distinct."""
    keys = lookup_keys("4006381333931")
    assert keys[0] == "4006381333931"
    assert len(keys) == len(set(keys))
    assert "04006381333931" in keys


def test_distinct_codes_do_not_share_keys():
    """Zero-padding must not make two different products equivalent."""
    assert not set(lookup_keys("4006381333931")) & set(lookup_keys("9780306406157"))
    assert not set(lookup_keys("036000291452")) & set(lookup_keys("036000291469"))


def test_code128_lookup_keys_are_just_the_code():
    """Non-numeric codes have no alternative forms."""
    assert lookup_keys("A-01-01-1") == ["A-01-01-1"]
