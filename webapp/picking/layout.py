"""The storage area's geometry: where each pick face is, and how far apart two are.

Pure code: no database, no Flask. Separate from ``routing`` (which orders stops) because
wave batching, put-away and the benchmarks need positions and distances without a route.

Layout model
------------
Every storage location has ``(zone: str, aisle: int >= 1, bay: int >= 1, level: int)``.

* Zones are blocks of ``aisles_per_zone`` parallel aisles, laid side by side in the order of
  ``Layout.zones``, with one aisle-width gap between blocks::

      global_aisle = zone_index * (aisles_per_zone + 1) + aisle        # 1, 2, ... never 0

* Every aisle runs from the front cross-aisle (y = 0) to the back cross-aisle
  (y = L = (bays_per_aisle + 1) * BAY_DEPTH); both cross-aisles run the full width.
* The pick face of bay b is at ``(x, y) = (global_aisle * AISLE_WIDTH, b * BAY_DEPTH)``.
  Level (height) adds no walking.
* The depot, where every route starts and ends (carts are collected there and dropped at
  packing), is on the front cross-aisle at x = 0, left of the first aisle.

Walking distance in metres between two points (the shortest path in this layout)::

    same aisle (x1 == x2):  |y1 - y2|
    different aisles:       min(y1 + y2, (L - y1) + (L - y2)) + |x1 - x2|

that is, leave by the front or by the back cross-aisle, whichever is shorter.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

AISLE_WIDTH = 3.0  # metres between the centre lines of neighbouring aisles
BAY_DEPTH = 1.5  # metres between neighbouring bays along an aisle


def get_field(obj: Any, name: str, default: Any = None) -> Any:
    """Return ``obj[name]`` for a mapping, ``obj.name`` otherwise (``default`` if absent)."""
    if type(obj) is dict:  # the common cases first, without the slower abstract-class check
        return obj.get(name, default)
    if isinstance(obj, tuple):  # a named tuple (a PickStop)
        return getattr(obj, name, default)
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def location_coords(loc: Any) -> tuple[str, int, int, int]:
    """Return ``(zone, aisle, bay, level)`` of a location object, mapping or tuple."""
    if isinstance(loc, tuple | list):
        zone, aisle, bay, *rest = loc
        return zone, aisle, bay, (rest[0] if rest else 0)
    return (get_field(loc, "zone"), get_field(loc, "aisle"), get_field(loc, "bay"),
            get_field(loc, "level", 0) or 0)


def point_distance(p: tuple[float, float], q: tuple[float, float], length: float) -> float:
    """Walking distance between two points of a layout whose aisles are ``length`` long."""
    (x1, y1), (x2, y2) = p, q
    if x1 == x2:
        return abs(y1 - y2)
    return min(y1 + y2, 2 * length - y1 - y2) + abs(x1 - x2)


@dataclass(frozen=True)
class Layout:
    """Zones of parallel aisles between a front and a back cross-aisle (see module doc)."""

    zones: tuple[str, ...]
    aisles_per_zone: int
    bays_per_aisle: int
    _zone_index: dict = field(init=False, repr=False, compare=False)
    _points: dict = field(init=False, repr=False, compare=False)  # location tuple -> (x, y)

    def __post_init__(self):
        object.__setattr__(self, "zones", tuple(self.zones))
        if not self.zones or self.aisles_per_zone < 1 or self.bays_per_aisle < 1:
            raise ValueError("a layout needs zones, aisles and bays")
        object.__setattr__(self, "_zone_index", {z: i for i, z in enumerate(self.zones)})
        object.__setattr__(self, "_points", {})

    @classmethod
    def from_locations(cls, rows: Iterable[Any], zones: Sequence[str] | None = None) -> Layout:
        """Size a layout to fit location rows; rows with aisle or bay < 1 (docks) are skipped.

        Zones are laid out in the order given, else in sorted order of their names.
        """
        faces = [c for c in map(location_coords, rows) if c[1] >= 1 and c[2] >= 1]
        if not faces:
            raise ValueError("no storage locations to build a layout from")
        return cls(tuple(zones) if zones else tuple(sorted({c[0] for c in faces})),
                   max(c[1] for c in faces), max(c[2] for c in faces))

    @property
    def length(self) -> float:
        """Aisle length L: front cross-aisle (y = 0) to back cross-aisle."""
        return (self.bays_per_aisle + 1) * BAY_DEPTH

    def point(self, loc: Any) -> tuple[float, float]:
        """The ``(x, y)`` of a location's pick face; ValueError if it is not in the layout.

        Remembered per location tuple: a wave asks for each of 300,000 lines twice."""
        known = self._points.get(loc) if isinstance(loc, tuple) else None
        if known is not None:
            return known
        zone, aisle, bay, _ = location_coords(loc)
        index = self._zone_index.get(zone)
        if index is None or not (1 <= aisle <= self.aisles_per_zone
                                 and 1 <= bay <= self.bays_per_aisle):
            raise ValueError(f"location {zone}-{aisle}-{bay} is outside the layout")
        point = (index * (self.aisles_per_zone + 1) + aisle) * AISLE_WIDTH, bay * BAY_DEPTH
        if isinstance(loc, tuple):
            self._points[loc] = point
        return point

    def distance(self, a: Any, b: Any) -> float:
        """Walking distance in metres between two locations."""
        return point_distance(self.point(a), self.point(b), self.length)
