"""At the dock (收货员): take a returned parcel in, scan each unit, inspect, finish.

Inspection and put-away are receiving's services, called with the return as the
source: a pass puts the units in the returns area (退货区) as sellable stock, a fail
puts them in the defective store (残品库), each through the ledger with the return
line named on the movement and `return` / `defective` as its reason.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from ..catalog.models import Location
from ..catalog.services import CatalogError, resolve_code
from ..extensions import db
from ..receiving import inspection, putaway
from ..receiving.models import PutawayRun
from . import states
from .models import ReturnLine, ReturnRequest
from .resolution import amount_due
from .services import ReturnError, locked

MAX_SCAN_QTY = 1000
PUT_AWAY_NOTE = "put_away"  # the timeline shows it translated


@dataclass
class DockOutcome:
    """What a dock scan did; `needs_reason` asks why before an unexpected unit is taken."""

    ok: bool
    message: str
    needs_reason: bool = False
    code: str = ""
    qty: int = 0


def returns_area():
    """Where returned units wait for put-away: the first returns bin, else a dock."""
    for kind in ("returns", "receiving"):
        found = db.session.scalar(select(Location.id).where(
            Location.type == kind, Location.active.is_(True)).order_by(Location.code))
        if found is not None:
            return found
    raise ReturnError(_("There is no returns area; an admin must add one."))


def receivable(return_id):
    """A return the dock may take units in for (locked till commit), or ReturnError
    saying why not."""
    rma = locked(return_id)
    if rma is None:
        raise ReturnError(_("No such return."))
    if rma.status not in states.RECEIVABLE:
        raise ReturnError(_("Return %(number)s is %(state)s: nothing more is taken in.",
                            number=rma.number, state=rma.status))
    return rma


def scan(return_id, user_id, code, quantity=1, *, outcome="pass", reason=None, note="",
         accept_note="", photos=(), device_id=None):
    """Judge a scanned unit against the return and inspect it (检验) if it fits."""
    rma = receivable(return_id)
    if isinstance(quantity, bool) or not isinstance(quantity, int) \
            or not 0 < quantity <= MAX_SCAN_QTY:
        return DockOutcome(False, _("Quantity must be a whole number from 1 to %(n)d.",
                                    n=MAX_SCAN_QTY))
    try:
        kind, product = resolve_code(code)
    except CatalogError as error:
        return DockOutcome(False, str(error))
    if kind != "product":
        return DockOutcome(False, _("%(code)s is a location, not an item.", code=product.code))
    line = _line_for(rma, product.id, quantity)
    if line is None and not (accept_note or "").strip():
        return DockOutcome(False, _("%(sku)s is not expected on this return (or more than "
                                    "announced). Give a reason to take it in.",
                                    sku=product.sku),
                           needs_reason=True, code=code, qty=quantity)
    if line is None:
        line = ReturnLine(return_id=rma.id, product_id=product.id, unexpected=True,
                          accept_note=accept_note.strip()[:2000])
        db.session.add(line)
        db.session.flush()
    source = inspection.Source("return", rma.id, line.id, returns_area(), "return")
    inspection.inspect(source, product.id, quantity, outcome, reason=reason, note=note,
                       photos=photos, user_id=user_id, device_id=device_id)
    line.received_qty += quantity
    if outcome == "pass":
        line.passed_qty += quantity
    else:
        line.failed_qty += quantity
    if rma.status != "received":
        states.transition(rma, "received", user_id)
    db.session.flush()
    return DockOutcome(True, _("%(qty)d × %(sku)s: passed, to the returns area.",
                               qty=quantity, sku=product.sku) if outcome == "pass" else
                       _("%(qty)d × %(sku)s to the defective store (残品库).",
                         qty=quantity, sku=product.sku))


def _line_for(rma, product_id, quantity):
    """The announced line of this product with room for the units, or None."""
    return next((line for line in rma.lines if line.product_id == product_id
                 and not line.unexpected and line.received_qty + quantity <= line.quantity),
                None)


def arrived(return_id, user_id):
    """The parcel is at the dock (its label was scanned): the return is received."""
    rma = receivable(return_id)
    if rma.status != "received":
        states.transition(rma, "received", user_id)
    return rma


def finish(return_id, user_id, note=""):
    """Inspection done: the return is inspected and its passed units get put-away tasks.

    Returns the put-away run, or None when nothing passed."""
    rma = locked(return_id)
    if rma is None or rma.status != "received":
        raise ReturnError(_("Only a return being received can be finished."))
    if not any(line.received_qty for line in rma.lines):
        raise ReturnError(_("No unit was inspected yet."))
    states.transition(rma, "inspected", user_id, note)
    if rma.resolution == "refund":
        rma.refund_due = amount_due(rma)
    if not any(line.passed_qty for line in rma.lines):
        return None
    run = PutawayRun(source_kind="return", source_id=rma.id)
    db.session.add(run)
    db.session.flush()
    return run


def totals(rma):
    """Announced, received, passed and failed units of a return."""
    return {"expected": sum(line.quantity for line in rma.lines),
            **{key: sum(getattr(line, f"{key}_qty") for line in rma.lines)
               for key in ("received", "passed", "failed")}}


def _return_items(return_id):
    """Passed units of an inspected return, waiting in the returns area."""
    rma = db.session.get(ReturnRequest, return_id)
    area = returns_area()
    return [putaway.Item(line.id, line.product_id, line.passed_qty, area)
            for line in rma.lines if line.passed_qty]


def _return_put_away(return_id, user_id):
    """Every passed unit is back in a bin: note it on the return's timeline."""
    from .models import ReturnEvent
    rma = db.session.get(ReturnRequest, return_id)
    db.session.add(ReturnEvent(return_id=rma.id, from_status=rma.status, to_status=rma.status,
                               user_id=user_id, note=PUT_AWAY_NOTE))


def _return_label(return_id):
    """A return as the receiver knows it: its number."""
    rma = db.session.get(ReturnRequest, return_id)
    return rma.number if rma else ""


putaway.register_source("return", items=_return_items, finished=_return_put_away,
                        label=_return_label)


def offline_payload(rma, user_id):
    """The return as receiving's offline copy has it (static/js/receive-rules.js judges
    dock scans from it): lines with announced and received units, every code each
    product answers to, the catalogue's codes. The return's states map onto the
    receipt's: still expected, or being received."""
    from ..sync.offline import _codes, catalog_codes
    lines = [{"line_id": line.id, "line_no": n, "sku": line.product.sku,
              "product_id": line.product_id, "name": line.product.name,
              "expected_qty": line.quantity, "received_qty": line.received_qty,
              "passed_qty": line.passed_qty, "failed_qty": line.failed_qty,
              "unexpected": line.unexpected, "problem": None, "lot": "",
              **_codes(line.product)} for n, line in enumerate(rma.lines, start=1)]
    status = {"requested": "expected", "awaiting_arrival": "expected",
              "received": "receiving"}.get(rma.status, rma.status)
    return {"subject_id": rma.id, "number": rma.number, "status": status,
            "user_id": user_id, "lines": lines, "catalog": catalog_codes()}
