"""Order intake from CSV and JSON: validate, store idempotently, hold invalid orders.

An invalid order is not lost: it is stored on hold with one exception per
problem, for a supervisor to fix and release.
"""
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..catalog.models import Product
from ..extensions import db
from ..limits import MAX_UNIT_PRICE_CENTS
from ..packing import carriers
from .models import ADDRESS_FIELDS, Order, OrderException, OrderLine
from .states import transition

REQUIRED_ADDRESS = ("name", "phone", "line1", "city", "province")
MAX_LINES = 500
# Per line; also keeps quantities inside the 32-bit integer column.
MAX_QUANTITY = 100_000
MAX_PRIORITY = 100_000  # inside the 32-bit column, far beyond any real ranking
# Problems that refuse the order outright instead of holding it for a supervisor.
REFUSED_KINDS = ("bad_priority",)


class IntakeError(ValueError):
    """An order that cannot even be stored (no channel or number)."""


@dataclass
class IntakeResult:
    """What happened to one submitted order."""

    channel: str
    order_no: str
    outcome: str  # created | held | duplicate | rejected
    order_id: int | None = None
    problems: list = field(default_factory=list)

    def as_dict(self):
        """JSON-ready form for the API and the CSV report."""
        return {"channel": self.channel, "order_no": self.order_no, "outcome": self.outcome,
                "order_id": self.order_id, "problems": self.problems}


def intake(payload, user_id=None):
    """Store one order from a dict; return an IntakeResult. The caller commits."""
    channel = str(payload.get("channel") or "").strip()[:32]
    order_no = str(payload.get("order_no") or "").strip()[:64]
    if not channel or not order_no:
        return IntakeResult(channel, order_no, "rejected",
                            problems=["channel and order_no are required"])
    existing = db.session.scalar(select(Order).where(Order.channel == channel,
                                                     Order.channel_order_no == order_no))
    if existing:
        return IntakeResult(channel, order_no, "duplicate", existing.id,
                            ["already received; nothing changed"])
    order = Order(channel=channel, channel_order_no=order_no, status="new")
    problems = _fill(order, payload)
    refused = [message for kind, message in problems if kind in REFUSED_KINDS]
    if refused:  # not an order to hold and fix: the channel sent a value we cannot keep
        return IntakeResult(channel, order_no, "rejected", problems=refused)
    try:
        with db.session.begin_nested():
            db.session.add(order)
            db.session.flush()
    except IntegrityError:
        # The same order posted twice at once: the unique key let one in.
        existing = db.session.scalar(select(Order.id).where(Order.channel == channel,
                                                            Order.channel_order_no == order_no))
        return IntakeResult(channel, order_no, "duplicate", existing,
                            ["already received; nothing changed"])
    if problems:
        hold(order, problems, user_id)
        return IntakeResult(channel, order_no, "held", order.id,
                            [message for _kind, message in problems])
    return IntakeResult(channel, order_no, "created", order.id)


def hold(order, problems, user_id=None):
    """Put an order on hold with one open exception per (kind, message)."""
    for kind, message in problems:
        db.session.add(OrderException(order_id=order.id, kind=kind, message=message))
    transition(order, "on_hold", user_id, "; ".join(m for _k, m in problems))


def _fill(order, payload):
    """Copy fields onto the order; return [(kind, message)] for every problem."""
    problems = []
    address = payload.get("address") or {}
    if not isinstance(address, dict):
        address = {}
    too_long = []
    for name in ADDRESS_FIELDS:
        value = str(address.get(name) or "").strip()
        limit = _column_length(f"ship_{name}")
        if len(value) > limit:
            too_long.append(f"{name} (at most {limit} characters)")
        setattr(order, f"ship_{name}", value[:limit])
    order.ship_country = (order.ship_country or "CN").upper()[:2]
    # A blank value is as missing as an absent one: no courier can use it.
    missing = [name for name in REQUIRED_ADDRESS if not getattr(order, f"ship_{name}")]
    if missing:
        problems.append(("address_error", f"address is missing: {', '.join(missing)}"))
    if too_long:
        problems.append(("address_error", f"address is too long: {', '.join(too_long)}"))
    carrier = str(payload.get("carrier") or "builtin").strip().lower()
    order.carrier = carrier[:_column_length("carrier")]
    adapter = carriers.get(carrier)
    if adapter is None or not adapter.available():
        problems.append(("bad_carrier", f"carrier {carrier} is not available"))
    order.priority, problem = priority(payload.get("priority"))
    if problem:
        problems.append(("bad_priority", problem))
    order.cutoff_at = _datetime_or_none(payload.get("cutoff_at"), problems)
    problems += _fill_lines(order, payload.get("lines"))
    return problems


def _fill_lines(order, lines):
    """Add the order lines; return the problems found in them."""
    if not isinstance(lines, list) or not lines:
        return [("bad_quantity", "the order has no lines")]
    if len(lines) > MAX_LINES:
        return [("bad_quantity", f"more than {MAX_LINES} lines")]
    problems = []
    skus = {str((line or {}).get("sku") or "").strip() for line in lines if isinstance(line, dict)}
    products = {p.sku: p for p in db.session.scalars(select(Product).where(Product.sku.in_(skus)))}
    for number, line in enumerate(lines, start=1):
        line = line if isinstance(line, dict) else {}
        sku = str(line.get("sku") or "").strip()[:64]
        quantity = positive_int(line.get("quantity"))
        product = products.get(sku)
        if product is None:
            problems.append(("unknown_sku", f"line {number}: unknown SKU {sku or '(empty)'}"))
        if quantity is None:
            problems.append(("bad_quantity", f"line {number}: quantity "
                             f"{line.get('quantity')!r} is not a positive whole number"))
        cents, bad_price = unit_price_cents(line.get("unit_price"))
        if bad_price:
            problems.append(("bad_price", f"line {number}: unit price {bad_price} is not an "
                             f"amount from 0 to {MAX_UNIT_PRICE_CENTS // 100}.00 with at most "
                             "two decimals"))
        order.lines.append(OrderLine(sku=sku, product_id=product.id if product else None,
                                     quantity=quantity or 0, unit_price_cents=cents))
    return problems


_PRICE = re.compile(r"(\d{1,12})(?:\.(\d{1,2}))?")


def unit_price_cents(value):
    """(cents, problem): a line's optional unit price in yuan (129, "129.00", 129.5) as
    whole cents; blank is no price (None). Anything else (negative, text, more than two
    decimals, above the bound) is no price and a short form of the value to name."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    text = "" if isinstance(value, bool) else str(value).strip()
    found = _PRICE.fullmatch(text) if text.isascii() else None
    if found:
        cents = int(found[1]) * 100 + int((found[2] or "0").ljust(2, "0"))
        if cents <= MAX_UNIT_PRICE_CENTS:
            return cents, None
    return None, repr(str(value)[:40])


def positive_int(value):
    """An int from 1 to MAX_QUANTITY from an int or ASCII digit string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        # str.isdigit() also accepts '²' and other digits int() refuses.
        text = str(value if value is not None else "").strip()
        if not (text.isascii() and text.isdigit()):
            return None
        number = int(text)
    return number if 0 < number <= MAX_QUANTITY else None


def priority(value):
    """(priority, problem): blank is 0; a whole number within +-MAX_PRIORITY, or a problem
    naming the value (never turned into 0 silently)."""
    if isinstance(value, float) and value.is_integer():  # JSON's 3.0 is the integer 3
        value = int(value)
    text = "" if value is None else str(value).strip()
    if text == "":
        return 0, None
    digits = text[1:] if text[0] in "+-" else text
    whole = isinstance(value, int) or (isinstance(value, str) and digits.isascii()
                                       and digits.isdigit())
    if whole and not isinstance(value, bool) and abs(int(text)) <= MAX_PRIORITY:
        return int(text), None
    return 0, (f"priority {text[:40]!r} is not a whole number from -{MAX_PRIORITY} "
               f"to {MAX_PRIORITY}")


def _column_length(name):
    """The declared length of a String column of Order."""
    return Order.__table__.c[name].type.length


def _datetime_or_none(value, problems):
    """Parse an ISO 8601 cutoff; a bad one is a problem, not a crash."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        problems.append(("address_error", f"cutoff_at {value!r} is not an ISO 8601 time"))
        return None


CSV_COLUMNS = ("channel", "order_no", "sku", "quantity", "unit_price", "name", "phone", "line1", "city",
               "province", "postcode", "country", "carrier", "priority", "cutoff_at")


def orders_from_csv(data):
    """Group CSV rows (one per order line) into order payloads, in file order."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise IntakeError("it is not UTF-8 text; save it as CSV (UTF-8)") from error
    reader = csv.DictReader(io.StringIO(data))
    try:
        return _group_rows(reader)
    except csv.Error as error:  # e.g. a field over the csv module's size limit
        raise IntakeError(f"line {reader.line_num + 1} is not valid CSV: {error}") from error


def _group_rows(reader):
    """Order payloads from the rows of a csv.DictReader."""
    reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
    reader.restval = ""  # a short row has blanks, not None, in its missing columns
    missing = [c for c in ("channel", "order_no", "sku", "quantity") if c not in reader.fieldnames]
    if missing:
        raise IntakeError(f"missing columns: {', '.join(missing)}")
    orders = {}
    for row in reader:
        key = (row.get("channel", "").strip(), row.get("order_no", "").strip())
        payload = orders.setdefault(key, {
            "channel": key[0], "order_no": key[1], "carrier": row.get("carrier") or "builtin",
            "priority": row.get("priority"), "cutoff_at": row.get("cutoff_at"),
            "address": {name: row.get(name, "") for name in ADDRESS_FIELDS}, "lines": []})
        payload["lines"].append({"sku": row.get("sku", ""), "quantity": row.get("quantity"),
                                 "unit_price": row.get("unit_price")})
    return list(orders.values())
