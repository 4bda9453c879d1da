"""The scan actions devices may sync, each registered by the domain that applies it.

Sync is the one place that stores, deduplicates and replays scans; what a scan
*does* belongs to its domain. A domain that takes offline scans keeps a
`scan_actions.py` module that calls `register()` once per action; `discover()`
imports every such module when the app is built (web and worker alike), so a new
flow adds its actions without a branch in sync.

A scan names what it belongs to with the ids in `REFERENCES`: the outbound flows
use their own (`pick_list_id`, `task_id`, `order_id`), newer flows the generic
`subject_id` (their receipt, manifest, count...) and `line_id`. Anything else a
scan carries (lot, expiry, inspection outcome, a signature) goes in `payload`, a
small JSON object the action validates itself.
"""
import importlib
import importlib.util
import pkgutil
from dataclasses import dataclass
from typing import Callable

REFERENCES = ("pick_list_id", "task_id", "order_id", "subject_id", "line_id")
MAX_PAYLOAD_BYTES = 256 * 1024   # room for a signature drawn on the screen (SVG)


class Conflict(Exception):
    """The scan was valid when made but no longer fits the server's state."""


class Rejected(Exception):
    """The scan is malformed or was a wrong scan; its reason is shown."""


class OneByOne(Exception):
    """A bulk apply met what only the one-by-one path handles: apply the run that way."""


@dataclass(frozen=True)
class ScanAction:
    """One kind of scan: who may make it, the ids it must carry, what applying does.

    `apply(record)` runs inside a savepoint; it returns a message for the device or
    raises Conflict (keep it for a supervisor) or Rejected (a wrong or malformed scan).
    `check(record)` may add a domain rule on the raw fields before the scan is
    stored (return the problem or None); it must not touch the database.
    `apply_many(records)`, where a domain has it, applies a run of stored scans of
    this action set-based, judged by the same rules as `apply`, and returns
    (status, reason) for each; it runs in one savepoint and raises OneByOne for
    what it does not cover (the run is then applied one scan at a time).
    `apply_now(record)`, where a domain has it, judges one scan arriving inline
    without writing and returns (status, reason, write): sync stores the scan, then
    calls write() to make an applied scan so. It raises OneByOne for what it does not
    cover (the scan then goes through `apply`).
    """

    name: str
    roles: frozenset
    needs: tuple
    apply: Callable
    check: Callable | None = None
    apply_many: Callable | None = None
    apply_now: Callable | None = None


_ACTIONS: dict[str, ScanAction] = {}


def register(name, *, roles, needs=(), apply, check=None, apply_many=None, apply_now=None):
    """Declare a scan action; its name is what devices send as `action`."""
    unknown = set(needs) - set(REFERENCES)
    if unknown:
        raise ValueError(f"{name}: unknown references {sorted(unknown)}")
    if len(name) > 16:
        raise ValueError(f"{name}: action names are at most 16 characters")
    existing = _ACTIONS.get(name)
    if existing is not None and existing.apply is not apply:
        raise ValueError(f"scan action {name!r} is registered twice")
    _ACTIONS[name] = ScanAction(name, frozenset(roles), tuple(needs), apply, check,
                                apply_many, apply_now)
    return _ACTIONS[name]


def get(name):
    """The registered action of this name, or None."""
    return _ACTIONS.get(name)


def names():
    """Every registered action name, sorted (the API document lists them)."""
    return sorted(_ACTIONS)


def roles_for_all():
    """Every role that may make some scan: the sync API lets these in."""
    return frozenset().union(*(action.roles for action in _ACTIONS.values()))


def discover():
    """Import `webapp.<domain>.scan_actions` for every domain that has one."""
    import webapp
    for module in pkgutil.iter_modules(webapp.__path__):
        if module.ispkg and importlib.util.find_spec(f"webapp.{module.name}.scan_actions"):
            importlib.import_module(f"webapp.{module.name}.scan_actions")
