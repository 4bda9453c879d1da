"""The signed 交接单 as A4 SVG pages: header, parcels with their codes, counts, signatures.

SVG rather than PDF: the labels and slips are already SVG drawn with python-barcode
(kept, pinned), a browser prints SVG at exact millimetres, and no second rendering
library (and its fonts) has to be shipped. Each page is a complete SVG document.
"""
import base64

from markupsafe import escape

from ..catalog.labels import code128_svg
from ..signatures.svg import SignatureRejected, clean_svg
from ..timeutil import aware

PAGE_W, PAGE_H = 210, 297       # millimetres
ROWS_FIRST, ROWS_NEXT = 10, 14  # parcels per page (the first page holds the header)
ROW_H = 16
PX_PER_MM = 96 / 25.4  # the user unit a viewBox needs so that 1mm stays 1mm and the
                       # page can also be scaled to a phone's width on screen


def _text(x, y, value, size=3.4, **extra):
    """One line of text at millimetre coordinates."""
    attrs = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in extra.items())
    return f'<text x="{x}mm" y="{y}mm" font-size="{size}mm"{attrs}>{escape(value)}</text>'


def _header(manifest, counts):
    """Title, manifest code, carrier, time, courier, counts."""
    bars = code128_svg(manifest.code, 70, 12).replace("<svg ", '<svg x="130mm" y="10mm" ', 1)
    signed = aware(manifest.signed_at).strftime("%Y-%m-%d %H:%M UTC") if manifest.signed_at else ""
    lines = [
        _text(12, 18, "交接单 Courier handoff manifest", 6, font_weight="bold"),
        _text(12, 27, f"{manifest.code} · {manifest.carrier} · {signed}", 3.6),
        _text(12, 34, f"快递员 Courier: {manifest.courier_name or ''} · "
                      f"{manifest.courier_company or ''} · {manifest.courier_badge or ''}"),
        _text(12, 41, f"仓库 Warehouse: "
                      f"{manifest.signed_by.display_name if manifest.signed_by else ''}"),
        _text(12, 48, f"交接 Handed over: {counts['handed']} · 缺件 Missing (moved on): "
                      f"{counts['moved']}", 3.6, font_weight="bold"),
        bars, _text(165, 26, manifest.code, 3.2, text_anchor="middle", font_family="monospace"),
    ]
    return "".join(lines)


def _row(y, index, member):
    """One parcel: number, tracking number in Code128, order, state."""
    parcel = member.parcel
    bars = code128_svg(parcel.tracking_number, 60, 9).replace("<svg ", f'<svg x="20mm" y="{y}mm" ', 1)
    state = "✓ 已交接 handed over" if member.status == "scanned" else "✗ 缺件 missing, moved on"
    return "".join([
        _text(12, y + 6, str(index), 3.4),
        bars,
        _text(20, y + 13, parcel.tracking_number, 3, font_family="monospace"),
        _text(85, y + 6, parcel.shipment.order.number, 3.4),
        _text(150, y + 6, state, 3.2),
        f'<line x1="12mm" y1="{y + ROW_H - 1}mm" x2="198mm" y2="{y + ROW_H - 1}mm" '
        f'stroke="#999" stroke-width="0.2mm"/>'])


def _signatures(signature_blocks, y):
    """Both signatures side by side with the signers' names.

    Each drawing (cleaned again) goes in as an <image> of a data: URI: an SVG image
    never runs scripts or fetches anything, and its own size attributes stay its own.
    """
    parts = [_text(12, y, "交接双方签字确认 Both sides sign", 3.6, font_weight="bold")]
    for column, (label, signature) in enumerate(signature_blocks):
        x = 12 + column * 96
        company = f" · {signature.signer_company}" if signature.signer_company else ""
        parts.append(_text(x, y + 7, f"{label}: {signature.signer_name}{company}", 3.2))
        try:
            data = base64.b64encode(clean_svg(signature.svg).encode()).decode("ascii")
        except SignatureRejected:
            data = None
        if data:
            parts.append(f'<image x="{x}mm" y="{y + 9}mm" width="80mm" height="28mm" '
                         f'data-signer="{escape(signature.signer_role or "")}" '
                         f'href="data:image/svg+xml;base64,{data}"/>')
        parts.append(f'<line x1="{x}mm" y1="{y + 38}mm" x2="{x + 84}mm" y2="{y + 38}mm" '
                     f'stroke="black" stroke-width="0.3mm"/>')
    return "".join(parts)


def sheet_pages(manifest, signature_blocks=()):
    """Every page of the 交接单 as a standalone SVG document."""
    members = [m for m in manifest.members if m.status in ("scanned", "moved")]
    counts = {"handed": sum(m.status == "scanned" for m in members),
              "moved": sum(m.status == "moved" for m in members)}
    chunks = [members[:ROWS_FIRST]] + [members[i:i + ROWS_NEXT]
                                      for i in range(ROWS_FIRST, len(members), ROWS_NEXT)]
    pages, index = [], 0
    for number, chunk in enumerate(chunks, start=1):
        top = 58 if number == 1 else 20
        body = _header(manifest, counts) if number == 1 else _text(
            12, 12, f"交接单 {manifest.code} · {number}/{len(chunks)}", 3.6)
        for offset, member in enumerate(chunk):
            index += 1
            body += _row(top + offset * ROW_H, index, member)
        if number == len(chunks):
            body += _signatures(signature_blocks, PAGE_H - 52)
        pages.append(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W}mm" height="{PAGE_H}mm" '
            f'viewBox="0 0 {PAGE_W * PX_PER_MM:.1f} {PAGE_H * PX_PER_MM:.1f}" '
            f'font-family="sans-serif" '
            f'data-manifest="{escape(manifest.code)}" data-page="{number}">'
            f'<rect width="100%" height="100%" fill="white"/>{body}</svg>')
    return pages
