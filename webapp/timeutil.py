"""One clock for the whole app: timezone-aware UTC."""
from datetime import datetime, timezone


def utcnow():
    """Now, in UTC, timezone-aware."""
    return datetime.now(timezone.utc)


def aware(moment):
    """A datetime read back from SQLite is naive; every stored one is UTC: make it aware."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)
