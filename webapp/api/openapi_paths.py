"""The path items of the OpenAPI document: each API route, its parameters and answers.

Separate from the component schemas (openapi_schemas), which the paths refer to by
$ref, and from the document's assembly (openapi), because this is the part that
grows with every route; tests/outbound/test_api.py checks every API route is here.
"""
from ..packing.carriers import CARRIERS, EVENT_CODES


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


def _orders_path():
    """POST /api/v1/orders."""
    return {"post": {
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
        }}}


def path_items():
    """The document's paths, by URL; a path is added here as the API grows."""
    return {"/api/v1/openapi.json": _document_path(),
            "/api/v1/scans": _scans_path(),
            "/api/v1/carriers/{carrier}/events": _carrier_events_path(),
            "/api/v1/manifests/{manifest_id}/offline": _offline_manifest_path(),
            "/api/v1/receipts": _receipts_path(),
            "/api/v1/receipts/{receipt_id}/offline": _offline_receipt_path(),
            "/api/v1/returns/{return_id}/offline": _offline_return_path(),
            "/api/v1/putaway/{putaway_run_id}/offline": _offline_putaway_path(),
            "/api/v1/picklists/{list_id}/offline": _offline_path(),
            "/api/v1/orders/{order_id}/offline": _offline_order_path(),
            "/api/v1/orders": _orders_path()}
