"""The schemas of the OpenAPI document's components: the bodies the API takes and answers.

Separate from the paths (openapi_paths) and from the document's assembly and the
validation against it (openapi), so that a field of an order, a scan or a receipt is
changed in one place; api.views validates request bodies against these through
openapi.shape_problems.
"""
from ..packing.carriers import CARRIERS

_ADDRESS = {
    "type": "object", "description": "name, phone, line1, city and province are needed; "
                                     "an order without them is held (地址错误)",
    "properties": {k: {"type": "string"} for k in
                   ("name", "phone", "line1", "city", "province", "postcode", "country")},
}
_ORDER = {
    "type": "object", "required": ["channel", "order_no"],
    "description": "Checked against this schema first (a wrong type or an over-long key is "
                   "rejected). Then a missing address field or line, an unknown SKU, a "
                   "quantity outside 1-100000, a bad unit price or an unconfigured carrier "
                   "holds the order with an exception for a supervisor (outcome `held`).",
    "properties": {
        "channel": {"type": "string", "minLength": 1, "maxLength": 32, "pattern": r"\S",
                    "examples": ["tmall"]},
        "order_no": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"},
        "carrier": {"type": "string", "enum": sorted(CARRIERS),
                    "default": "builtin"},
        "priority": {"type": "integer", "default": 0, "minimum": -100000, "maximum": 100000,
                     "description": "higher is picked first; outside the range the order is "
                                    "rejected with the reason"},
        "cutoff_at": {"type": "string", "format": "date-time"},
        "address": _ADDRESS,
        "lines": {"type": "array", "maxItems": 500, "items": {
            "type": "object",
            "properties": {"sku": {"type": "string"},
                           "quantity": {"type": "integer",
                                        "description": "1 to 100000, else the order is held"},
                           "unit_price": {
                               "type": ["string", "number", "null"], "examples": ["129.00"],
                               "description": "optional: what the customer paid a unit, "
                                              "in yuan, 0 to 1000000.00 with at most two "
                                              "decimals (a string avoids float rounding); "
                                              "refunds of returned units are computed from "
                                              "it. Anything else holds the order"}}}},
    },
}
_RESULT = {
    "type": "object",
    "properties": {
        "channel": {"type": "string"}, "order_no": {"type": "string"},
        "outcome": {"type": "string", "enum": ["created", "held", "duplicate", "rejected"],
                    "description": "held: stored on hold with exceptions for a supervisor; "
                                   "duplicate: already received, nothing changed"},
        "order_id": {"type": ["integer", "null"]},
        "problems": {"type": "array", "items": {"type": "string"}},
    },
}


_SCAN = {
    "type": "object",
    "required": ["id", "seq", "device_time", "user_id", "action", "code", "quantity"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "made on the device; "
               "the key to exactly-once"},
        "seq": {"type": "integer", "minimum": 0, "description": "per-device sequence number"},
        "device_time": {"type": "string", "format": "date-time"},
        "user_id": {"type": "integer"},
        "action": {"type": "string", "description": "one of the registered scan actions "
                   "(webapp/sync/actions.py); the enum is filled in by document()"},
        "code": {"type": "string", "maxLength": 200, "description": "the raw scanned text"},
        "quantity": {"type": "integer", "minimum": 1},
        "pick_list_id": {"type": "integer"}, "task_id": {"type": "integer"},
        "order_id": {"type": "integer"},
        "subject_id": {"type": "integer", "description": "what a scan of the later flows "
                       "belongs to: a receipt, a manifest, a count..."},
        "line_id": {"type": "integer", "description": "a line within the subject"},
        "payload": {"type": "object", "description": "the action's own extra fields (lot, "
                    "expiry, inspection outcome, a signature as SVG...), at most 256 KB"},
        "refused": {"type": "string", "description": "the device's message when it refused "
                    "the scan offline; such a scan is recorded as rejected, never applied"},
    },
}
_SCAN_RESULT = {
    "type": "object", "properties": {
        "id": {"type": ["string", "null"], "description": "the scan's id as sent (at most 64 "
               "characters); null for a scan sent without one"},
        "status": {"type": "string",
                   "enum": ["applied", "duplicate", "conflict", "rejected", "stored"],
                   "description": "stored: a large batch was stored durably and is applied "
                                  "by a reconciliation job; the device may drop it"},
        "reason": {"type": "string"}}}


_RECEIPT = {
    "type": "object", "required": ["source", "reference"],
    "description": "Only a missing or unknown source or a blank reference rejects a receipt "
                   "(outcome `rejected`). Everything else is taken as it comes: a bad or "
                   "missing line, an unknown SKU or dock, a quantity outside 1-100000, a bad "
                   "date stores the receipt held (outcome `held`) with the problems for a "
                   "supervisor; text past its length is cut (reference 64, supplier 200, "
                   "lot 20 characters).",
    "properties": {
        "source": {"type": "string", "enum": ["purchase", "production", "transfer"]},
        "reference": {"description": "the PO / production order / transfer number: text (a "
                                     "number is taken as its text) with something besides "
                                     "spaces; cut to 64 characters",
                      "not": {"anyOf": [{"enum": [None, False, 0, ""]},
                                        {"type": "string", "pattern": r"^\s*$"},
                                        {"type": "array", "maxItems": 0},
                                        {"type": "object", "maxProperties": 0}]}},
        "supplier": {"description": "supplier or plant; cut to 200 characters"},
        "expected_date": {"description": "YYYY-MM-DD; anything else holds the receipt"},
        "dock": {"description": "code of a receiving location; another holds the receipt"},
        "lines": {"description": "at least one and at most 5000 lines (more are not "
                                 "stored), each {sku, quantity (1-100000), lot (cut to 20 "
                                 "characters), expiry (YYYY-MM-DD)}; a receipt without lines "
                                 "or with a bad line is held", "examples": [
                                     [{"sku": "SKU-1", "quantity": 10, "lot": "L1",
                                       "expiry": "2030-01-31"}]]},
        "receipts": {"not": {"type": "array"},
                     "description": "a list here makes the body a batch"},
    },
}
_RECEIPT_RESULT = {
    "type": "object", "properties": {
        "source": {"type": "string"}, "reference": {"type": "string"},
        "outcome": {"type": "string", "enum": ["created", "held", "duplicate", "rejected"],
                    "description": "held: stored with its bad lines marked, for a supervisor; "
                                   "duplicate: already received, nothing changed"},
        "receipt_id": {"type": ["integer", "null"]},
        "number": {"type": ["string", "null"], "description": "the Code128 on the 明细表"},
        "problems": {"type": "array", "items": {"type": "string"}}}}


def _scan_schema():
    """The Scan schema with the action names registered now."""
    from ..sync import actions
    action = {**_SCAN["properties"]["action"], "enum": actions.names()}
    return {**_SCAN, "properties": {**_SCAN["properties"], "action": action}}


def component_schemas():
    """components/schemas of the document, by name."""
    return {"Order": _ORDER, "IntakeResult": _RESULT, "Scan": _scan_schema(),
            "ScanResult": _SCAN_RESULT, "Receipt": _RECEIPT,
            "ReceiptResult": _RECEIPT_RESULT}
