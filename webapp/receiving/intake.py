"""Expected receipts from CSV and JSON: validate, store idempotently, hold bad lines.

A receipt with a bad line (unknown SKU, quantity not a positive whole number) is
stored held, each bad line with its message, for a supervisor to fix: never lost.
"""
import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..catalog.models import Location, Product
from ..extensions import db
from ..orders.intake import positive_int
from .models import SOURCES, Receipt, ReceiptLine
from .states import record_creation

MAX_LINES = 5000
CSV_COLUMNS = ("source", "reference", "supplier", "expected_date", "dock", "sku", "quantity",
               "lot", "expiry")


class IntakeError(ValueError):
    """A file that cannot be read at all."""


@dataclass
class IntakeResult:
    """What happened to one submitted receipt."""

    source: str
    reference: str
    outcome: str  # created | held | duplicate | rejected
    receipt_id: int | None = None
    number: str | None = None
    problems: list = field(default_factory=list)

    def as_dict(self):
        """JSON-ready form for the API and the upload report."""
        return {"source": self.source, "reference": self.reference, "outcome": self.outcome,
                "receipt_id": self.receipt_id, "number": self.number,
                "problems": self.problems}


def intake(payload, user_id=None):
    """Store one receipt from a dict; return an IntakeResult. The caller commits."""
    source = str(payload.get("source") or "").strip().lower()[:16]
    reference = str(payload.get("reference") or "").strip()[:64]
    if source not in SOURCES or not reference:
        return IntakeResult(source, reference, "rejected", problems=[
            f"source must be one of {', '.join(SOURCES)} and reference is required"])
    existing = _existing(source, reference)
    if existing:
        return IntakeResult(source, reference, "duplicate", existing.id, existing.number,
                            ["already received; nothing changed"])
    receipt = Receipt(source=source, reference=reference, created_by_id=user_id,
                      supplier=str(payload.get("supplier") or "").strip()[:200])
    problems = _fill(receipt, payload)
    try:
        with db.session.begin_nested():
            db.session.add(receipt)
            db.session.flush()
    except IntegrityError:  # the same receipt posted twice at once
        existing = _existing(source, reference)
        return IntakeResult(source, reference, "duplicate", existing.id, existing.number,
                            ["already received; nothing changed"])
    record_creation(receipt, user_id, "; ".join(problems))
    outcome = "held" if problems else "created"
    return IntakeResult(source, reference, outcome, receipt.id, receipt.number, problems)


def _existing(source, reference):
    """The receipt already stored under this key, or None."""
    return db.session.scalar(select(Receipt).where(Receipt.source == source,
                                                   Receipt.reference == reference))


def _fill(receipt, payload):
    """Header and lines from the payload; return the problems found (strings)."""
    problems = []
    receipt.expected_date = _date(payload.get("expected_date"), "expected_date", problems)
    dock = str(payload.get("dock") or "").strip()
    if dock:
        receipt.dock = db.session.scalar(select(Location).where(Location.code == dock))
        if receipt.dock is None or receipt.dock.type != "receiving":
            problems.append(f"dock {dock[:64]!r} is not a receiving dock")
    lines = payload.get("lines")
    if not isinstance(lines, list) or not lines:
        problems.append("a receipt needs at least one line")
        lines = []
    if len(lines) > MAX_LINES:
        problems.append(f"at most {MAX_LINES} lines; the rest were not stored")
        lines = lines[:MAX_LINES]
    products = _products_by_sku(lines)
    for number, raw in enumerate(lines, start=1):
        line = _line(number, raw if isinstance(raw, dict) else {}, products)
        receipt.lines.append(line)
        if line.problem:
            problems.append(f"line {number}: {line.problem}")
    receipt.held = bool(problems)
    return problems


def _products_by_sku(lines):
    """The products the lines name, read in one query."""
    skus = {str(raw.get("sku") or "").strip() for raw in lines if isinstance(raw, dict)}
    rows = db.session.scalars(select(Product).where(Product.sku.in_(skus))) if skus else []
    return {product.sku: product for product in rows}


def _line(number, raw, products):
    """One ReceiptLine; its problem says what is wrong with it, if anything."""
    sku = str(raw.get("sku") or "").strip()[:64]
    quantity = positive_int(raw.get("quantity"))
    problems = []
    product = products.get(sku)
    if product is None:
        problems.append(f"unknown SKU {sku!r}" if sku else "no SKU")
    if quantity is None:
        problems.append(f"quantity {str(raw.get('quantity'))[:20]!r} is not a whole "
                        f"number from 1 to 100000")
    expiry = _date(raw.get("expiry"), "expiry", problems)
    return ReceiptLine(line_no=number, sku=sku, product=product, expected_qty=quantity or 0,
                       lot=str(raw.get("lot") or "").strip()[:20], expiry=expiry,
                       problem="; ".join(problems) or None)


def _date(value, name, problems):
    """An ISO date (YYYY-MM-DD), or None; a bad one is a problem, not a crash."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        problems.append(f"{name} {str(value)[:20]!r} is not a date (YYYY-MM-DD)")
        return None


def receipts_from_csv(data):
    """Group CSV rows (one per line) into receipt payloads, in file order."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise IntakeError("it is not UTF-8 text; save it as CSV (UTF-8)") from error
    reader = csv.DictReader(io.StringIO(data))
    try:
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
        reader.restval = ""
        missing = [c for c in ("source", "reference", "sku", "quantity")
                   if c not in reader.fieldnames]
        if missing:
            raise IntakeError(f"missing columns: {', '.join(missing)}")
        receipts = {}
        for row in reader:
            key = ((row.get("source") or "").strip(), (row.get("reference") or "").strip())
            payload = receipts.setdefault(key, {
                "source": key[0], "reference": key[1], "supplier": row.get("supplier"),
                "expected_date": row.get("expected_date"), "dock": row.get("dock"),
                "lines": []})
            payload["lines"].append({name: row.get(name) for name in
                                     ("sku", "quantity", "lot", "expiry")})
    except csv.Error as error:
        raise IntakeError(f"line {reader.line_num + 1} is not valid CSV: {error}") from error
    return list(receipts.values())
