"""Storing signatures: the drawing is sanitised, the signer and the document named."""
import base64
import re

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select

from ..extensions import db
from .models import Signature
from .svg import SignatureRejected, clean_svg

SUBJECT_TYPE = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_NAME = 120


def store_signature(svg, subject_type, subject_id, signer_name, *, signer_company=None,
                    signer_role=None, signed_by_user_id=None, device_id=None,
                    device_time=None):
    """Add a signature after checking the drawing; SignatureRejected says what is wrong."""
    if not SUBJECT_TYPE.fullmatch(subject_type or "") or not isinstance(subject_id, int):
        raise ValueError(f"bad signature subject {subject_type!r} {subject_id!r}")
    signer_name = (signer_name or "").strip()
    if not signer_name:
        raise SignatureRejected(_("Enter the name of the person signing."))
    if len(signer_name) > MAX_NAME or len(signer_company or "") > MAX_NAME:
        raise SignatureRejected(_("The name is too long (at most %(n)d characters).",
                                  n=MAX_NAME))
    signature = Signature(svg=clean_svg(svg), subject_type=subject_type, subject_id=subject_id,
                          signer_name=signer_name,
                          signer_company=(signer_company or "").strip() or None,
                          signer_role=signer_role, signed_by_user_id=signed_by_user_id,
                          device_id=device_id, device_time=device_time)
    db.session.add(signature)
    db.session.flush()
    return signature


def signatures_for(subject_type, subject_id):
    """The signatures on one document, oldest first."""
    return db.session.scalars(select(Signature).where(
        Signature.subject_type == subject_type, Signature.subject_id == subject_id)
        .order_by(Signature.signed_at, Signature.id)).all()


def latest_signature(subject_type, subject_id, signer_role=None):
    """The newest signature on a document (by one role when given), or None."""
    query = select(Signature).where(Signature.subject_type == subject_type,
                                    Signature.subject_id == subject_id)
    if signer_role is not None:
        query = query.where(Signature.signer_role == signer_role)
    return db.session.scalars(query.order_by(Signature.signed_at.desc(),
                                             Signature.id.desc()).limit(1)).first()


def signature_image(signature, css_class="signature-image"):
    """An <img> showing a stored signature, for pages and printed documents.

    The SVG is cleaned again (rows written by hand stay harmless) and shown as an
    image: a browser never runs scripts or loads anything from an SVG image.
    """
    if signature is None:
        return Markup("")
    try:
        svg = clean_svg(signature.svg)
    except SignatureRejected:
        return Markup("")
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt = _("Signature of %(name)s", name=signature.signer_name)
    return Markup('<img class="{}" src="data:image/svg+xml;base64,{}" alt="{}">').format(
        escape(css_class), data, alt)


def register(app):
    """Make signature_image available to every template."""
    app.jinja_env.globals["signature_image"] = signature_image
    app.jinja_env.filters["signature_image"] = signature_image
