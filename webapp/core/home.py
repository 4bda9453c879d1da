"""What each role sees on the home screen: one card per piece of work, and what waits
behind it now.

One mechanism for the live part: a domain calls register_hint(endpoint, hint) for
its card's text, or register_hint(endpoint, hint, template=..., roles=...) for a
short list of waiting work above the cards (the courier's manifests, customer
service's open cases). Both are asked only for the cards the person has."""
from dataclasses import dataclass
from typing import Callable

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
    ("supervisor", "supervision.reorder_points", _l("Reorder points"),
     _l("Low stock (库存监控): set each product's point")),
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


@dataclass(frozen=True)
class Live:
    """What a domain says waits behind one of its cards, asked on each home request:
    `hint()` returns the card's text, or, with a template, that template's context (a
    short list of the waiting work, shown above the cards to `roles`, default everyone
    who has the card)."""

    endpoint: str
    hint: Callable
    template: str | None = None
    roles: tuple | None = None


_LIVE: dict[tuple, Live] = {}


def register_hint(endpoint, hint, template=None, roles=None):
    """Let a domain say what waits on its card now: `hint()` returns the card's text;
    with `template`, the context of a list of waiting work shown above the cards (to
    `roles`, default whoever has the card). Registering the same pair again replaces."""
    _LIVE[(endpoint, template)] = Live(endpoint, hint, template,
                                       tuple(roles) if roles else None)


def _shown(roles):
    """(role, endpoint, title, hint) of the cards these roles see: in the order above,
    each endpoint once."""
    seen = set()
    for role, endpoint, title, hint in CARDS:
        if role in roles and endpoint not in seen:
            seen.add(endpoint)
            yield role, endpoint, title, hint


def cards_for(roles):
    """The cards for a set of roles, each with its live text where its domain gave one."""
    cards = []
    for role, endpoint, title, hint in _shown(roles):
        live = _LIVE.get((endpoint, None))
        cards.append({"url": url_for(endpoint), "title": title,
                      "hint": live.hint() if live else hint, "role": role})
    return cards


def work_for(roles):
    """(template, context) of each list of waiting work these roles see, in the order of
    their cards: the registered hints with a template, of the cards the person has."""
    endpoints = [endpoint for _role, endpoint, _title, _hint in _shown(roles)]
    found = []
    for endpoint in endpoints:
        for live in _LIVE.values():
            if (live.endpoint == endpoint and live.template
                    and (live.roles is None or set(live.roles) & set(roles))):
                found.append((live.template, live.hint()))
    return found
