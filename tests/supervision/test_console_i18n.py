"""Every string of the console has its zh-CN translation."""
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "webapp/translations/zh/LC_MESSAGES/messages.po"
FILES = [*sorted((ROOT / "webapp/supervision").rglob("*.py")),
         *sorted((ROOT / "webapp/supervision/templates").rglob("*.html")),
         *[ROOT / f"webapp/{d}/tiles.py" for d in ("orders", "picking", "sync")],
         ROOT / "webapp/orders/templates/orders/_tile.html",
         ROOT / "webapp/orders/templates/orders/_tile_exceptions.html",
         ROOT / "webapp/picking/templates/picking/_tile.html",
         ROOT / "webapp/sync/templates/sync/_tile.html", ROOT / "webapp/core/home.py"]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "ngettext": (1, 2)}


def messages(path):
    """The msgids in one file."""
    method = "jinja2.ext:babel_extract" if path.suffix == ".html" else "python"
    for _line, message, _comments, _context in extract_from_file(
            method, str(path), keywords=KEYWORDS):
        yield message if isinstance(message, str) else message[0]


def test_every_console_string_is_translated():
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    missing = sorted({m for path in FILES for m in messages(path)
                      if not (catalog.get(m) and all(_as_tuple(catalog.get(m).string)))})
    assert missing == []


def _as_tuple(value):
    """A msgstr or the plural forms, as a tuple."""
    return value if isinstance(value, tuple) else (value,)
