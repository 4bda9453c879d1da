"""Storing signatures on SQLite and PostgreSQL, and showing them on documents."""
import base64
from datetime import datetime, timezone

import pytest
from flask import render_template_string

from webapp.accounts.services import create_user
from webapp.extensions import db
from webapp.signatures.models import Signature
from webapp.signatures.services import (latest_signature, signature_image, signatures_for,
                                        store_signature)
from webapp.signatures.svg import SignatureRejected

from signature_cases import pad_svg_text

PAD_SVG = pad_svg_text()


def test_a_signature_is_stored_sanitised_with_its_signer(any_app):
    user = create_user("checker1", "pw-123456", ["packer"])
    db.session.flush()
    dirty = PAD_SVG.replace("<path ", '<path id="x" ', 1)
    signed = store_signature(dirty, "outbound_order", 42, " Li Wei ", signer_role="checker",
                             signer_company="Acme", signed_by_user_id=user.id,
                             device_time=datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc))
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Signature, signed.id)
    assert row.signer_name == "Li Wei" and row.signer_company == "Acme"
    assert row.signed_by_user_id == user.id and row.signed_at is not None
    assert 'id="x"' not in row.svg and "M 20.000,40.000" in row.svg
    assert row.device_time.replace(tzinfo=timezone.utc).hour == 8


def test_refused_drawings_store_nothing(any_app):
    with pytest.raises(SignatureRejected, match="sign in the box"):
        store_signature("", "outbound_order", 1, "Li Wei")
    with pytest.raises(SignatureRejected):
        store_signature(PAD_SVG.replace("</svg>", "<script/></svg>"), "outbound_order", 1, "Li")
    with pytest.raises(SignatureRejected, match="name"):
        store_signature(PAD_SVG, "outbound_order", 1, "  ")
    with pytest.raises(ValueError):
        store_signature(PAD_SVG, "Bad Type!", 1, "Li Wei")
    db.session.commit()
    assert db.session.query(Signature).count() == 0


def test_signatures_of_a_document_and_the_latest_by_role(any_app):
    store_signature(PAD_SVG, "handoff", 7, "Courier Zhang", signer_role="courier")
    store_signature(PAD_SVG, "handoff", 7, "Clerk Wang", signer_role="warehouse")
    store_signature(PAD_SVG, "handoff", 8, "Someone else", signer_role="courier")
    db.session.commit()
    assert [s.signer_name for s in signatures_for("handoff", 7)] == ["Courier Zhang",
                                                                    "Clerk Wang"]
    assert latest_signature("handoff", 7, "warehouse").signer_name == "Clerk Wang"
    assert latest_signature("handoff", 9) is None


def test_a_stored_signature_renders_as_a_safe_image(app):
    signed = store_signature(PAD_SVG, "outbound_order", 3, "<b>Li</b>")
    db.session.commit()
    with app.test_request_context():
        html = render_template_string("{{ signature_image(s) }}", s=signed)
    assert html.startswith('<img class="signature-image" src="data:image/svg+xml;base64,')
    assert "&lt;b&gt;Li&lt;/b&gt;" in html and "<b>" not in html
    encoded = html.split("base64,", 1)[1].split('"', 1)[0]
    assert "M 20.000,40.000" in base64.b64decode(encoded).decode()
    # A row tampered with in the database is not shown at all.
    signed.svg = PAD_SVG.replace("</svg>", "<script>alert(1)</script></svg>")
    assert str(signature_image(signed)) == ""
    assert str(signature_image(None)) == ""
