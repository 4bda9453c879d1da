"""The OpenAPI 3.1 document, written as data next to the API it describes."""
from functools import lru_cache

from jsonschema import Draft202012Validator

from ..packing.carriers import CARRIERS, EVENT_CODES

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


_UNAUTHORIZED = {"description": "not signed in, or an unknown, revoked or malformed device "
                                "token"}


def _scans_path():
    """POST /api/v1/scans."""
    return {"post": {
        "summary": "Sync a batch of scans; each is applied exactly once",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["scans"], "properties": {
                "device_id": {"type": ["integer", "null"], "minimum": 0,
                              "maximum": 2147483647},
                "pending": {"type": "integer", "minimum": 0, "maximum": 2147483647,
                            "description": "scans still on the device"},
                "scans": {"type": "array", "maxItems": 5000, "items": {
                    "description": "a Scan (components/schemas/Scan). Each is judged on its "
                                   "own: one that does not match is answered `rejected` with "
                                   "the reason, and the others go ahead"}}}}}}},
        "responses": {
            "200": {"description": "one result per scan, in order", "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "results": {"type": "array",
                                "items": {"$ref": "#/components/schemas/ScanResult"}},
                    "batch_id": {"type": ["string", "null"]}}}}}},
            "400": {"description": "the body is not {device_id, pending, scans: [...]}, or "
                                   "device_id or pending is not a whole number in range"},
            "401": _UNAUTHORIZED,
            "403": {"description": "device_id does not match the token, a device or role "
                                   "that does not scan"},
            "413": {"description": "more than 5000 scans, or a body over the size limit"},
        }}}


def _offline_path():
    """GET /api/v1/picklists/{list_id}/offline."""
    return {"get": {
        "summary": "Everything a device needs to judge a pick list's scans offline",
        "parameters": [{"name": "list_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}},
                       {"name": "catalog", "in": "query", "required": False,
                        "description": "the catalogue version the device holds: when it is "
                                       "current, catalog carries only its version",
                        "schema": {"type": "string", "maxLength": 64}}],
        "responses": {"200": {"description": "tasks, locations, product codes, and every "
                                             "code of the catalogue"},
                      "401": _UNAUTHORIZED,
                      "403": {"description": "not the picker of this list, a device the list's "
                                             "picker has not signed in on, or a device or "
                                             "role that does not pick"},
                      "404": {"description": "no such list"}}}}


def _offline_order_path():
    """GET /api/v1/orders/{order_id}/offline."""
    return {"get": {
        "summary": "An order waiting for packing, for a station to verify it offline",
        "parameters": [{"name": "order_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}],
        "responses": {"200": {"description": "lines with expected and verified units, product "
                                             "codes, and every code of the catalogue"},
                      "401": _UNAUTHORIZED,
                      "403": {"description": "a device or role that does not pack"},
                      "404": {"description": "no such order"},
                      "409": {"description": "the order is not waiting for packing"}}}}


_EVENT = {
    "type": "object", "required": ["tracking_number", "code", "event_id", "at"],
    "properties": {
        "tracking_number": {"type": "string", "maxLength": 40},
        "code": {"type": "string", "enum": list(EVENT_CODES)},
        "event_id": {"type": "string", "maxLength": 80,
                     "description": "the carrier's id of the event: a replay is stored once"},
        "at": {"type": "string", "format": "date-time",
               "description": "when it happened, with its offset; events are ordered by it"},
        "location": {"type": "string", "maxLength": 120}}}


def _carrier_events_path():
    """POST /api/v1/carriers/{carrier}/events: a carrier's tracking webhook."""
    return {"post": {
        "summary": "Tracking events pushed by a carrier, signed with its HMAC secret",
        "security": [],
        "parameters": [
            {"name": "carrier", "in": "path", "required": True,
             "schema": {"type": "string", "enum": sorted(CARRIERS)}},
            {"name": "X-Signature", "in": "header", "required": True,
             "schema": {"type": "string"},
             "description": "sha256=<hex HMAC-SHA256 of the raw body with the carrier's "
                            "secret, CARRIER_WEBHOOK_SECRET_<CARRIER>>"}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["events"], "properties": {
                "events": {"type": "array", "maxItems": 1000, "items": _EVENT}}}}}},
        "responses": {
            "200": {"description": "stored (new), duplicates (replays), unknown (not our "
                                   "parcels)"},
            "400": {"description": "malformed body or event; the error names the field"},
            "401": {"description": "bad or missing signature"},
            "403": {"description": "no webhook secret is configured for this carrier"},
            "404": {"description": "no such carrier"}}}}


def _offline_manifest_path():
    """GET /api/v1/manifests/{manifest_id}/offline."""
    return {"get": {
        "summary": "A manifest waiting for handoff, for a phone to judge its scans offline",
        "parameters": [{"name": "manifest_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}],
        "responses": {"200": {"description": "subject_id, code, carrier, status and every "
                                             "parcel (tracking number, order, state)"},
                      "401": _UNAUTHORIZED,
                      "403": {"description": "a device or role that does not hand off "
                                             "parcels"},
                      "404": {"description": "no such manifest"},
                      "409": {"description": "the manifest is signed already"}}}}


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


def _receipts_path():
    """POST /api/v1/receipts."""
    return {"post": {
        "summary": "Submit one expected receipt or a batch; idempotent on (source, reference)",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "anyOf": [{"$ref": "#/components/schemas/Receipt"},
                      {"type": "object", "required": ["receipts"], "properties": {
                          "receipts": {
                              "type": "array", "minItems": 1,
                              "contains": {"$ref": "#/components/schemas/Receipt"},
                              "description": "at most 200 (more: 413). Each item is judged "
                                             "on its own: one that is not a Receipt is "
                                             "answered `rejected` and the others go ahead; "
                                             "when every one is rejected the answer is 422"}}}]}}}},
        "responses": {
            "201": {"description": "at least one receipt stored (created or held)",
                    "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"results": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/ReceiptResult"}}}}}}},
            "200": {"description": "nothing new: every receipt was a duplicate"},
            "400": {"description": "the body is not a JSON object"},
            "401": {"description": "not signed in, or unknown/revoked device token"},
            "403": {"description": "the signed-in role may not submit receipts"},
            "413": {"description": "more than 200 receipts in one request"},
            "422": {"description": "every receipt was rejected (no source or reference), or "
                                   "an empty batch"},
        }}}


def _offline_receipt_path():
    """GET /api/v1/receipts/{receipt_id}/offline."""
    return {"get": {
        "summary": "A receipt being received, for a handheld to receive it offline",
        "parameters": [{"name": "receipt_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}],
        "responses": {"200": {"description": "lines with expected and received units, every "
                                             "code each product answers to, and the "
                                             "catalogue's codes"},
                      "401": {"description": "not signed in, or unknown/revoked device token"},
                      "403": {"description": "not a receiver or supervisor"},
                      "404": {"description": "no such receipt"},
                      "409": {"description": "the receipt is closed or cancelled, or held for a bad line"}}}}


def _offline_putaway_path():
    """GET /api/v1/putaway/{putaway_run_id}/offline."""
    return {"get": {
        "summary": "A planned put-away run, for a handheld to walk it offline",
        "parameters": [{"name": "putaway_run_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}],
        "responses": {"200": {"description": "the tasks still to do in walking order, every "
                                             "code each product answers to, the storage "
                                             "bins and the catalogue's codes"},
                      "401": {"description": "not signed in, or unknown/revoked device token"},
                      "403": {"description": "not a receiver or supervisor"},
                      "404": {"description": "no such put-away run"},
                      "409": {"description": "the run is not planned yet, or failed"}}}}


def _offline_return_path():
    """GET /api/v1/returns/{return_id}/offline."""
    return {"get": {
        "summary": "A return expected or being received at the dock, for a handheld to "
                   "take its units in offline (the shape of a receipt's offline copy)",
        "parameters": [{"name": "return_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}],
        "responses": {"200": {"description": "lines with announced and received units, every "
                                             "code each product answers to, and the "
                                             "catalogue's codes"},
                      "401": {"description": "not signed in, or unknown/revoked device token"},
                      "403": {"description": "not a receiver or supervisor"},
                      "404": {"description": "no such return"},
                      "409": {"description": "the return was inspected, decided or closed"}}}}


def _document_path():
    """GET /api/v1/openapi.json: this document, public."""
    return {"get": {
        "summary": "This OpenAPI document", "security": [],
        "responses": {"200": {"description": "the OpenAPI 3.1 document", "content": {
            "application/json": {"schema": {"type": "object"}}}}}}}


def _scan_schema():
    """The Scan schema with the action names registered now."""
    from ..sync import actions
    action = {**_SCAN["properties"]["action"], "enum": actions.names()}
    return {**_SCAN, "properties": {**_SCAN["properties"], "action": action}}


def document():
    """The whole document; paths are added here as the API grows."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Warehouse operations API", "version": "1.0.0"},
        "components": {
            "securitySchemes": {
                "deviceToken": {"type": "http", "scheme": "bearer",
                                "description": "token of a registered device or integration"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "browser session; also send X-CSRFToken"},
            },
            "schemas": {"Order": _ORDER, "IntakeResult": _RESULT, "Scan": _scan_schema(),
                        "ScanResult": _SCAN_RESULT, "Receipt": _RECEIPT,
                        "ReceiptResult": _RECEIPT_RESULT},
        },
        "security": [{"deviceToken": []}, {"session": []}],
        "paths": {"/api/v1/openapi.json": _document_path(),
                  "/api/v1/scans": _scans_path(),
                  "/api/v1/carriers/{carrier}/events": _carrier_events_path(),
                  "/api/v1/manifests/{manifest_id}/offline": _offline_manifest_path(),
                  "/api/v1/receipts": _receipts_path(),
                  "/api/v1/receipts/{receipt_id}/offline": _offline_receipt_path(),
                  "/api/v1/returns/{return_id}/offline": _offline_return_path(),
                  "/api/v1/putaway/{putaway_run_id}/offline": _offline_putaway_path(),
                  "/api/v1/picklists/{list_id}/offline": _offline_path(),
                  "/api/v1/orders/{order_id}/offline": _offline_order_path(),
                  "/api/v1/orders": {"post": {
            "summary": "Submit one order or a batch; idempotent on (channel, order_no)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "oneOf": [{"$ref": "#/components/schemas/Order"},
                          {"type": "object", "required": ["orders"], "properties": {
                              "orders": {"type": "array", "minItems": 1,
                                         "items": {"$ref": "#/components/schemas/Order"},
                                         "description": "at most 1000 (more: 413)"}}}]}}}},
            "responses": {
                "201": {"description": "at least one order stored (created or held)",
                        "content": {"application/json": {"schema": {
                            "type": "object", "properties": {"results": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/IntakeResult"}}}}}}},
                "200": {"description": "nothing new: every order was a duplicate"},
                "400": {"description": "the body is not a JSON object"},
                "401": {"description": "not signed in, or unknown/revoked device token"},
                "403": {"description": "the signed-in role may not submit orders"},
                "413": {"description": "more than 1000 orders in one request"},
                "422": {"description": "every order was rejected (no channel or number, a priority out of range)"},
            }}}},
    }


@lru_cache(maxsize=None)
def _validator(name):
    """A JSON Schema validator for one of the document's schemas (formats checked)."""
    schema = {**document()["components"]["schemas"][name],
              "components": document()["components"]}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def shape_problems(name, value, limit=10):
    """Where `value` breaks the document's schema `name`, as short readable lines."""
    problems = []
    for error in sorted(_validator(name).iter_errors(value), key=lambda e: list(e.path)):
        where = "/".join(map(str, error.absolute_path)) or "the body"
        problems.append(f"{where}: {_short(error)}")
        if len(problems) == limit:
            break
    return problems


def _short(error):
    """The validator's message without echoing a huge value back whole."""
    message = error.message
    return message if len(message) <= 200 else message[:200] + "…"
