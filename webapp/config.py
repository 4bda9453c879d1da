"""Settings from the environment, with safe defaults for a laptop."""
import os
import secrets
from pathlib import Path

QUEUE_NAMES = ("picking", "packing", "reconciliation", "default")
# Our own by default: another app's RQ worker on a shared Redis listens on `default`
# and would take (and fail) our jobs. QUEUE_PREFIX="" gives the bare names.
DEFAULT_QUEUE_PREFIX = "wh-"


def _bool(name, default=False):
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path):
    """Use SECRET_KEY, or one generated once and kept in the instance folder.

    Keeping it on disk means sessions survive a restart of `make run`.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def from_environment(instance_path):
    """Build the config mapping the factory loads."""
    sqlite_default = f"sqlite:///{Path(instance_path) / 'warehouse.db'}"
    secure = _bool("SECURE_COOKIES")
    prefix = os.environ.get("QUEUE_PREFIX", DEFAULT_QUEUE_PREFIX)
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", sqlite_default),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # A prefix lets two apps (or two test runs) share one Redis without
        # taking each other's jobs.
        "QUEUES": {name: f"{prefix}{name}" for name in QUEUE_NAMES},
        "DEMO_MODE": _bool("DEMO_MODE"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "BEHIND_PROXY": _bool("BEHIND_PROXY"),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        # Uploads (CSV imports, later photos) are refused above this size with 413.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", 8 * 1024 * 1024)),
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", 5)),
        "LOGIN_LOCK_SECONDS": int(os.environ.get("LOGIN_LOCK_SECONDS", 300)),
        "LANGUAGES": ("en", "zh"),
        "BABEL_DEFAULT_LOCALE": "en",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        # The supervisor's console: the warehouse's day, and when to raise a flag.
        "WAREHOUSE_TIMEZONE": os.environ.get("WAREHOUSE_TIMEZONE", "Asia/Shanghai"),
        "CUTOFF_AT_RISK_MINUTES": int(os.environ.get("CUTOFF_AT_RISK_MINUTES", 120)),
        "DEVICE_SILENT_MINUTES": int(os.environ.get("DEVICE_SILENT_MINUTES", 15)),
        "DEFAULT_REORDER_POINT": int(os.environ.get("DEFAULT_REORDER_POINT", 10)),
        # Handoff and tracking: a parcel with no carrier event for this many days opens
        # an after-sales case; daily cut-offs are WAREHOUSE_TIMEZONE wall-clock times.
        "TRACKING_STUCK_DAYS": float(os.environ.get("TRACKING_STUCK_DAYS", 3)),
        # Per carrier: CARRIER_WEBHOOK_SECRET_BUILTIN=... signs its event webhook (HMAC).
        "CARRIER_WEBHOOK_SECRETS": {key[len("CARRIER_WEBHOOK_SECRET_"):].lower(): value
                                    for key, value in os.environ.items()
                                    if key.startswith("CARRIER_WEBHOOK_SECRET_") and value},
        # Seconds between tries of a label sent to a network printer (one try each).
        "LABEL_PRINT_RETRY_SECONDS": _seconds(os.environ.get("LABEL_PRINT_RETRY_SECONDS",
                                                             "5,30,120")),
        # Receiving: refuse (instead of accepting with a reason) items not on the 明细表
        # and units over the expected quantity; photos of failed units; bin size for 上架.
        "RECEIVING_REFUSE_UNEXPECTED": _bool("RECEIVING_REFUSE_UNEXPECTED"),
        "RECEIVING_REFUSE_OVER": _bool("RECEIVING_REFUSE_OVER"),
        "MAX_PHOTO_BYTES": int(os.environ.get("MAX_PHOTO_BYTES", 1024 * 1024)),
        "PUTAWAY_BIN_CAPACITY": int(os.environ.get("PUTAWAY_BIN_CAPACITY", 200)),
        # Counts (盘点): a variance above either figure is counted again before approval.
        "COUNT_RECOUNT_UNITS": int(os.environ.get("COUNT_RECOUNT_UNITS", 5)),
        "COUNT_RECOUNT_VALUE_CENTS": int(os.environ.get("COUNT_RECOUNT_VALUE_CENTS", 50000)),
        # A claimed count with no scan for this long shows as idle to the supervisor.
        "COUNT_IDLE_MINUTES": int(os.environ.get("COUNT_IDLE_MINUTES", 20)),
    }


def _seconds(text):
    """'5,30,120' -> [5, 30, 120]."""
    return [int(part) for part in text.split(",") if part.strip()]
