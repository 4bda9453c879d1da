"""The OpenAPI 3.1 document, written as data next to the API it describes.

Its schemas are in openapi_schemas and its paths in openapi_paths; here they are put
together, and request bodies are checked against the schemas (shape_problems).
"""
from functools import lru_cache

from jsonschema import Draft202012Validator

from .openapi_paths import path_items
from .openapi_schemas import component_schemas


def document():
    """The whole document; paths are added in openapi_paths as the API grows."""
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
            "schemas": component_schemas(),
        },
        "security": [{"deviceToken": []}, {"session": []}],
        "paths": path_items(),
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
