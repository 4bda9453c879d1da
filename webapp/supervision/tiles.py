"""The supervisor's console is a grid of tiles; each domain registers its own.

How a flow adds its queue to the console (receiving, handoff, returns, counts...):

1. In ``webapp/<domain>/tiles.py`` write a function that reads the numbers and
   returns a dict for a template, and register it::

       from flask_babel import lazy_gettext as _l
       from ..supervision.tiles import register_tile

       @register_tile("receiving", _l("Receiving"), template="receiving/_tile.html",
                      order=50)
       def receiving_tile():
           \"\"\"Receipts expected today, being counted, failed inspection.\"\"\"
           return {"expected": ..., "counting": ...}

2. The template starts with ``{% extends "supervision/_tile.html" %}`` and fills
   ``{% block body %}``: the wrapper gives the tile its stable id, its title,
   and the polling (every ``POLL_SECONDS``, only while the tab is visible).
3. Import the module where the domain's blueprint is built
   (``from . import tiles  # noqa: F401``) so it registers when the app does.

The console never changes for that: it renders every registered tile in
``order`` (lower first) for the roles the tile names, each tile polls its own
fragment URL (``supervision.tile``), and a tile whose function raises shows its
error instead of breaking the page. A tile function takes no arguments, reads
the database (or Redis), must not write, and should answer in a few ms: it runs
on every poll of every open console.
"""
from dataclasses import dataclass
from typing import Callable

POLL_SECONDS = 15
_TILES: dict[str, "Tile"] = {}


@dataclass(frozen=True)
class Tile:
    """One registered tile: its name (the id in URLs), title, data function, template."""

    name: str
    title: object
    func: Callable[[], dict]
    template: str
    order: int = 100
    roles: tuple = ("supervisor",)
    link: str | None = None  # endpoint of the full page behind the tile, if any


def register_tile(name, title, template, order=100, roles=("supervisor",), link=None):
    """Decorator: register the function as the console tile `name` (re-registering replaces)."""
    def decorate(func):
        _TILES[name] = Tile(name, title, func, template, order, tuple(roles), link)
        return func
    return decorate


def tile(name):
    """The registered tile called `name`, or None."""
    return _TILES.get(name)


def tiles_for(roles):
    """The tiles a person holding `roles` sees, in order."""
    shown = [t for t in _TILES.values() if set(t.roles) & set(roles)]
    return sorted(shown, key=lambda t: (t.order, t.name))
