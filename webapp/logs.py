"""Structured (JSON-lines) logging for web and worker processes alike."""
import json
import logging
import sys

from flask import g, has_request_context, request


class JsonFormatter(logging.Formatter):
    """One JSON object per line: easy to grep, easy to ship to a log store."""

    def format(self, record):
        """Render a record with its request context when there is one."""
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if has_request_context():
            entry.update(method=request.method, path=request.path,
                         request_id=getattr(g, "request_id", None))
        for key in ("job_id", "queue", "event"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level="INFO"):
    """Send the root logger to stderr as JSON lines, once per process."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)
