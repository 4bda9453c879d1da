"""One clock for the whole app: timezone-aware UTC."""
from datetime import datetime, timezone


def utcnow():
    """Now, in UTC, timezone-aware."""
    return datetime.now(timezone.utc)
