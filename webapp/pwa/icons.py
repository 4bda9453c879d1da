"""The app icons as PNG, drawn from the design of static/icons/icon.svg.

Pure Python (zlib + struct), so the PNGs can be rebuilt anywhere with
`python -m webapp.pwa.icons`; the generated files are checked in.
"""
import struct
import sys
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parents[2] / "static" / "icons"
BLUE = (0x0B, 0x3D, 0x91)
WHITE = (0xFF, 0xFF, 0xFF)
VIEWBOX, RADIUS = 96, 18
# (x, width) of the white bars of icon.svg, all from y=26 with height 44.
BARS = ((18, 5), (27, 3), (34, 7), (45, 3), (52, 5), (61, 3), (68, 8))
BAR_TOP, BAR_HEIGHT = 26, 44
# A maskable icon is cropped to a circle of 80 % of its width: shrink the bars into it.
MASKABLE_SCALE = 0.8
FILES = {"icon-192.png": (192, False), "icon-512.png": (512, False),
         "icon-maskable-192.png": (192, True), "icon-maskable-512.png": (512, True)}


def png(width, height, rows):
    """Encode RGBA rows (bytes of 4*width each) as a PNG file's bytes."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _overlap(a0, a1, b0, b1):
    """Length of the overlap of [a0, a1] and [b0, b1]."""
    return max(0.0, min(a1, b1) - max(a0, b0))


def _rounded_coverage(px, py, size, radius, samples=4):
    """Fraction of pixel (px, py) inside a size x size square with rounded corners."""
    near_x = px < radius or px + 1 > size - radius
    near_y = py < radius or py + 1 > size - radius
    if not (near_x and near_y):
        return 1.0
    cx = min(max(px + .5, radius), size - radius)
    cy = min(max(py + .5, radius), size - radius)
    distance = ((px + .5 - cx) ** 2 + (py + .5 - cy) ** 2) ** .5
    if distance <= radius - .75:  # the whole pixel is inside the arc (half-diagonal < .75)
        return 1.0
    if distance >= radius + .75:
        return 0.0
    inside = 0
    for sy in range(samples):
        for sx in range(samples):
            x, y = px + (sx + .5) / samples, py + (sy + .5) / samples
            cx = min(max(x, radius), size - radius)
            cy = min(max(y, radius), size - radius)
            inside += (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius
    return inside / samples ** 2


def _bar_columns(size, scale, offset):
    """Per pixel column, the fraction of it the white bars cover across."""
    return [min(1.0, sum(_overlap(px, px + 1, offset + x * scale, offset + (x + w) * scale)
                         for x, w in BARS)) for px in range(size)]


def draw(size, maskable=False):
    """The icon at size x size as PNG bytes; maskable icons are full-bleed and opaque."""
    scale = size / VIEWBOX * (MASKABLE_SCALE if maskable else 1)
    offset = size * (1 - MASKABLE_SCALE) / 2 if maskable else 0.0
    radius = RADIUS * size / VIEWBOX
    columns = _bar_columns(size, scale, offset)
    top = offset + BAR_TOP * scale
    opaque = {}  # rows without corners repeat: one per vertical bar coverage
    rows = []
    for py in range(size):
        vertical = _overlap(py, py + 1, top, top + BAR_HEIGHT * scale)
        if vertical not in opaque:
            opaque[vertical] = [bytes(round(b + (w - b) * c * vertical)
                                      for b, w in zip(BLUE, WHITE)) for c in columns]
        pixels = opaque[vertical]
        if not maskable and (py < radius or py + 1 > size - radius):
            pixels = [rgb + bytes([round(255 * _rounded_coverage(px, py, size, radius))])
                      for px, rgb in enumerate(pixels)]
        else:
            pixels = [rgb + b"\xff" for rgb in pixels]
        rows.append(b"".join(pixels))
    return png(size, size, rows)


def write_all(folder=ICONS):
    """Write every icon file; return their paths."""
    paths = []
    for name, (size, maskable) in FILES.items():
        path = Path(folder) / name
        path.write_bytes(draw(size, maskable))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else ICONS):
        print(written)
