"""The bounds of what the database holds, checked where input arrives.

Ids, quantities and sequence numbers are INTEGER columns: 32-bit on PostgreSQL.
A bigger number sent by a client (a path id, a scan field) must be refused at the
edge with a clear answer; reaching the database it raises OverflowError (SQLite)
or NumericValueOutOfRange (PostgreSQL), a 500.
"""
from werkzeug.routing import IntegerConverter

MAX_INT = 2**31 - 1


class BoundedInt(IntegerConverter):
    """`<int:...>` in every URL: 0 to MAX_INT, else the URL names nothing (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def whole_number(value, default, low=-MAX_INT - 1, high=MAX_INT):
    """An int from an int (not a bool), an integral float or a string of ASCII digits,
    within [low, high]; else the default."""
    if isinstance(value, bool):
        return default
    if isinstance(value, float) and value.is_integer():  # JSON's 3.0 is the integer 3
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] == "-" else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 20:
            return default
        value = int(text)
    if isinstance(value, int) and low <= value <= high:
        return value
    return default


def out_of_range(value):
    """True for a whole number (int or digit string) the database cannot hold."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -MAX_INT - 1 <= value <= MAX_INT
    if not isinstance(value, str):
        return False
    text = value.strip()
    digits = text[1:] if text[:1] == "-" else text
    if not (digits.isascii() and digits.isdigit()):
        return False
    # int() of thousands of digits is refused by Python itself: they are out of range.
    return len(digits) > 20 or not -MAX_INT - 1 <= int(text) <= MAX_INT


# A product's reorder point and reorder quantity (库存监控): units, set by a supervisor.
MAX_REORDER_UNITS = 1_000_000

# A scanned code: as long as the scan record's column. Real GS1 strings are far shorter;
# a longer one is refused with a clear message, never stored cut or echoed whole.
MAX_CODE_CHARS = 200

# An order line's unit price (单价) from a channel: yuan with at most two decimals, kept as
# whole cents in a 32-bit column. A million yuan a unit is beyond any real product.
MAX_UNIT_PRICE_CENTS = 100_000_000
