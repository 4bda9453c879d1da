"""The OpenAPI 3.1 document, written as data next to the API it describes."""

_ADDRESS = {
    "type": "object", "required": ["name", "phone", "line1", "city", "province"],
    "properties": {k: {"type": "string"} for k in
                   ("name", "phone", "line1", "city", "province", "postcode", "country")},
}
_ORDER = {
    "type": "object", "required": ["channel", "order_no", "address", "lines"],
    "properties": {
        "channel": {"type": "string", "maxLength": 32, "examples": ["tmall"]},
        "order_no": {"type": "string", "maxLength": 64},
        "carrier": {"type": "string", "enum": ["builtin", "ems", "deppon", "yto", "sf"],
                    "default": "builtin"},
        "priority": {"type": "integer", "default": 0, "description": "higher is picked first"},
        "cutoff_at": {"type": "string", "format": "date-time"},
        "address": _ADDRESS,
        "lines": {"type": "array", "minItems": 1, "maxItems": 500, "items": {
            "type": "object", "required": ["sku", "quantity"],
            "properties": {"sku": {"type": "string"},
                           "quantity": {"type": "integer", "minimum": 1}}}},
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
            "schemas": {"Order": _ORDER, "IntakeResult": _RESULT},
        },
        "security": [{"deviceToken": []}, {"session": []}],
        "paths": {"/api/v1/orders": {"post": {
            "summary": "Submit one order or a batch; idempotent on (channel, order_no)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "oneOf": [{"$ref": "#/components/schemas/Order"},
                          {"type": "object", "required": ["orders"], "properties": {
                              "orders": {"type": "array", "maxItems": 1000,
                                         "items": {"$ref": "#/components/schemas/Order"}}}}]}}}},
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
                "422": {"description": "every order was rejected (no channel or number)"},
            }}}},
    }
