"""The 入库单 (goods received note) as a standalone A4 SVG: kept, mailed, printed.

SVG rather than PDF: the app already draws Code128 as SVG with python-barcode
(no new dependency, no font files to ship), signatures are SVG too, and an SVG
opens and prints in every browser at the exact A4 size.
"""
import base64

from markupsafe import escape

from ..catalog.labels import code128_svg
from ..signatures.services import latest_signature
from ..signatures.svg import SignatureRejected, clean_svg
from . import services

PAGE_W, PAGE_H = 210, 297  # millimetres
ROW_MM = 6
MAX_ROWS = 30


def signatures_of(receipt):
    """{'receiver': Signature, 'deliverer': Signature} of a closed receipt (latest each)."""
    return {role: latest_signature("receipt", receipt.id, role)
            for role in ("receiver", "deliverer")}


def _signature(signature, x, y):
    """A stored signature drawn into the page as an image, with who and when under it."""
    if signature is None:
        return _text(x, y + 20, "—")
    try:
        svg = clean_svg(signature.svg)
    except SignatureRejected:
        return _text(x, y + 20, "—")
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    who = signature.signer_name + (f" ({signature.signer_company})"
                                   if signature.signer_company else "")
    return (f'<image x="{x}mm" y="{y}mm" width="80mm" height="22mm" '
            f'href="data:image/svg+xml;base64,{data}"/>'
            + _text(x, y + 27, who) + _text(x, y + 32, _time(signature.signed_at), 2.8))


def _text(x, y, value, size=3.2, anchor="start", weight="normal"):
    """One line of text at (x, y) mm."""
    return (f'<text x="{x}mm" y="{y}mm" font-size="{size}mm" text-anchor="{anchor}" '
            f'font-weight="{weight}">{escape(str(value))}</text>')


def _time(value):
    """A timestamp as people read it."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def grn_svg(receipt):
    """The whole 入库单 of a closed receipt as one SVG document."""
    totals = services.totals(receipt)
    bars = code128_svg(receipt.number, 80, 14).replace("<svg ", '<svg x="120mm" y="10mm" ', 1)
    parts = [
        _text(10, 16, "入库单 Goods received note", 6, weight="bold"),
        _text(10, 24, f"{receipt.number} · {receipt.source} · {receipt.reference}", 3.6),
        _text(10, 30, f"{receipt.supplier}"),
        _text(160, 30, receipt.number, 3.2, "middle"),
        _text(10, 38, f"Closed 收货完成: {_time(receipt.closed_at)}"),
        _text(10, 44, f"Expected {totals['expected']} · received {totals['received']} · "
                      f"passed 合格 {totals['passed']} · failed 残品 {totals['failed']}"),
    ]
    y = 54
    header = ("#", "SKU", "expected", "received", "passed", "failed", "difference")
    columns = (10, 20, 95, 120, 145, 165, 185)
    parts += [_text(x, y, label, 3, weight="bold") for x, label in zip(columns, header)]
    for line in receipt.lines[:MAX_ROWS]:
        y += ROW_MM
        values = (line.line_no, line.sku, line.expected_qty, line.received_qty,
                  line.passed_qty, line.failed_qty, f"{line.discrepancy:+d}")
        parts += [_text(x, y, value, 3) for x, value in zip(columns, values)]
    if len(receipt.lines) > MAX_ROWS:
        y += ROW_MM
        parts.append(_text(10, y, f"… {len(receipt.lines) - MAX_ROWS} more lines: see the "
                                  f"printed 入库单", 3))
    y = max(y + 10, 235)
    signed = signatures_of(receipt)
    parts += [_text(10, y, "Receiver 收货员签字"), _text(110, y, "Delivered by 送货方签字"),
              _signature(signed["receiver"], 10, y + 3),
              _signature(signed["deliverer"], 110, y + 3)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W}mm" height="{PAGE_H}mm" '
            f'font-family="sans-serif" data-receipt="{escape(receipt.number)}">'
            f'<rect width="100%" height="100%" fill="white"/>{bars}{"".join(parts)}</svg>')
