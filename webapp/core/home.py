"""What each role sees on the home screen: one card per piece of work."""
from flask import url_for
from flask_babel import lazy_gettext as _l

# (role, endpoint, title, hint). A card appears once even when several roles list it.
CARDS = (
    ("picker", "picking.my_lists", _l("My pick lists"), _l("Walk a list, scan location then item")),
    ("packer", "packing.station", _l("Packing station"), _l("Verify (复核), pack, print")),
    ("supervisor", "orders.index", _l("Orders"), _l("States, import, cancel")),
    ("supervisor", "supervision.pick_lists", _l("Pick lists"), _l("Who picks what; assign, release")),
    ("supervisor", "supervision.kpis", _l("KPIs"), _l("Charts, tables, CSV export")),
    ("supervisor", "supervision.queues", _l("Background jobs"), _l("Queues, workers, failed jobs")),
    ("supervisor", "picking.waves", _l("Waves"), _l("Allocate and plan pick lists")),
    ("supervisor", "orders.exceptions", _l("Exceptions"), _l("Held orders, shortages, short picks")),
    ("supervisor", "sync.conflicts", _l("Sync conflicts"), _l("Offline scans that no longer fit")),
    ("customer_service", "orders.index", _l("Orders"), _l("Find an order and its state")),
    ("picker", "catalog.lookup", _l("Find stock"), _l("Scan a product or a location")),
    ("packer", "catalog.lookup", _l("Find stock"), _l("Scan a product or a location")),
    ("receiver", "receiving.today", _l("Receiving"), _l("收货, 检验, 上架")),
    ("supervisor", "receiving.receipts", _l("Receipts"), _l("Expected receipts (明细表), import")),
    ("receiver", "returns.dock_index", _l("Returns at the dock"), _l("Scan, inspect, put away")),
    ("receiver", "catalog.lookup", _l("Find stock"), _l("Scan a product or a location")),
    ("receiver", "catalog.locations", _l("Locations"), _l("Bins, docks and stores")),
    ("courier", "handoff.index", _l("Handoff (交接)"), _l("Scan the parcels, both sides sign")),
    ("packer", "handoff.index", _l("Handoff (交接)"), _l("Hand the parcels to the courier")),
    ("supervisor", "handoff.index", _l("Handoff (交接)"), _l("Manifests, cut-offs, 交接单")),
    ("customer_service", "returns.index", _l("Returns (退换货)"), _l("Log a return, follow it")),
    ("customer_service", "handoff.cases", _l("After-sales (售后)"), _l("Failed and stuck deliveries")),
    ("customer_service", "catalog.lookup", _l("Find stock"), _l("Where is a product?")),
    ("supervisor", "reconciliation.index", _l("Ledger check"), _l("Stock levels vs ledger")),
    ("supervisor", "catalog.index", _l("Catalog"), _l("Locations and products")),
    ("supervisor", "supervision.devices", _l("Devices"), _l("Last sync, scans waiting")),
    ("admin", "catalog.index", _l("Catalog"), _l("Locations, products, import, labels")),
    ("admin", "accounts.users", _l("People"), _l("Accounts and roles")),
    ("admin", "accounts.devices", _l("Devices"), _l("Handhelds and their tokens")),
    ("admin", "reconciliation.index", _l("Ledger check"), _l("Stock levels vs ledger")),
    ("picker", "counts.my_counts", _l("Counts (盘点)"), _l("Count bins blind")),
    ("receiver", "counts.my_counts", _l("Counts (盘点)"), _l("Count bins blind")),
    ("supervisor", "counts.variances_page", _l("Count variances"), _l("Approve or reject")),
    ("supervisor", "counts.plans_page", _l("Count plans (盘点)"), _l("Zone, range, product, cycle")),
    ("supervisor", "counts.my_counts", _l("Counts (盘点)"), _l("Count bins blind")),
    ("supervisor", "audit.index", _l("Audit trail"), _l("Who did what, when, from which device")),
    ("admin", "audit.index", _l("Audit trail"), _l("Who did what, when, from which device")),
)


# (role, template, "module:function"): a short list of the person's waiting work above
# the cards, for roles without the supervisor's console. The function takes no
# arguments and returns the template's context.
WORK = (
    ("courier", "handoff/_home_work.html", "webapp.handoff.home:handoff_work"),
    ("packer", "handoff/_home_work.html", "webapp.handoff.home:handoff_work"),
    ("customer_service", "returns/_home_returns.html", "webapp.returns.services:home_work"),
    ("customer_service", "handoff/_home_cases.html", "webapp.handoff.home:case_work"),
)


def work_for(roles):
    """(template, context) of each waiting-work list for these roles, without repeats."""
    from importlib import import_module
    seen, found = set(), []
    for role, template, path in WORK:
        if role in roles and template not in seen:
            seen.add(template)
            module, name = path.split(":")
            found.append((template, getattr(import_module(module), name)()))
    return found


_LIVE_HINTS = {}


def register_hint(endpoint, hint):
    """Let a domain say what waits on its card now (`hint()` returns the text)."""
    _LIVE_HINTS[endpoint] = hint


def cards_for(roles):
    """The cards for a set of roles, in the order above, without repeats."""
    seen, cards = set(), []
    for role, endpoint, title, hint in CARDS:
        if role in roles and endpoint not in seen:
            seen.add(endpoint)
            if endpoint in _LIVE_HINTS:
                hint = _LIVE_HINTS[endpoint]()
            cards.append({"url": url_for(endpoint), "title": title, "hint": hint,
                          "role": role})
    return cards
