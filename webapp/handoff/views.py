"""Handoff screens (交接): manifests, scanning parcels, signing, the printed 交接单."""
from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user

from ..access import allow, device_token, public
from ..extensions import db
from ..packing import carriers
from ..pwa.shells import register_shell
from . import documents, handover, labels, services
from .models import CarrierCutoff, Manifest

bp = Blueprint("handoff", __name__, template_folder="templates")
HANDLERS = ("courier", "packer", "supervisor")


@bp.route("/handoff")
@allow(*HANDLERS)
def index():
    """Manifests waiting for their courier, and the latest signed ones."""
    waiting, signed = services.manifests_for_handoff()
    code = request.args.get("code", "").strip().upper()
    if code.startswith("MF") and code[2:].isdigit():
        return redirect(url_for("handoff.manifest", manifest_id=int(code[2:])))
    cutoffs = {row.carrier: row.daily_cutoff for row in db.session.scalars(db.select(CarrierCutoff))}
    return render_template("handoff/index.html", waiting=waiting, signed=signed,
                           counts=services.counts, carriers=carriers.CARRIERS, cutoffs=cutoffs)


@bp.route("/handoff/manifests/<int:manifest_id>")
@allow(*HANDLERS)
def manifest(manifest_id):
    """Expected vs scanned, the scan field, the missing parcels."""
    manifest = db.get_or_404(Manifest, manifest_id)
    if manifest.status == "signed":
        return redirect(url_for("handoff.document", manifest_id=manifest.id))
    return render_template("handoff/manifest.html", **_context(manifest, None))


@bp.route("/handoff/manifests/<int:manifest_id>/scan", methods=["POST"])
@allow(*HANDLERS)
def scan(manifest_id):
    """Judge one scanned label; answer with the manifest fragment."""
    db.get_or_404(Manifest, manifest_id)
    outcome = services.scan(manifest_id, request.form.get("code", ""), current_user.id)
    db.session.commit()
    manifest = db.session.get(Manifest, manifest_id)
    db.session.refresh(manifest)
    return render_template("handoff/_manifest.html", **_context(manifest, outcome))


def _context(manifest, outcome):
    """What the manifest fragment shows."""
    adapter = carriers.get(manifest.carrier)
    return {"manifest": manifest, "outcome": outcome, "counts": services.counts(manifest),
            "rows": services.member_rows(manifest),
            "carrier_name": adapter.name if adapter else manifest.carrier}


@bp.route("/api/v1/manifests/<int:manifest_id>/offline")
@device_token
@allow(*HANDLERS)
def offline_manifest(manifest_id):
    """The manifest's parcels, for a phone to judge scans with no network."""
    manifest = db.get_or_404(Manifest, manifest_id)
    if manifest.status == "signed":
        return jsonify(error="This manifest is signed.", status=409), 409
    return jsonify(services.offline_copy(manifest))


register_shell("handoff.offline_shell", under="handoff.index")


@bp.route("/offline/handoff")
@public
def offline_shell():
    """The handoff screen's shell: it shows and scans the manifest kept on the device."""
    return render_template("handoff/offline.html")


@bp.route("/handoff/manifests/<int:manifest_id>/close", methods=["POST"])
@allow("supervisor")
def close(manifest_id):
    """Close this manifest: parcels packed from now on go to a new one."""
    try:
        services.close_manifest(manifest_id, current_user.id)
        db.session.commit()
    except services.HandoffError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("handoff.index"))


@bp.route("/handoff/cutoffs", methods=["POST"])
@allow("supervisor")
def set_cutoff():
    """Set or clear a carrier's daily cut-off."""
    carrier = request.form.get("carrier", "")
    if carrier not in carriers.CARRIERS:
        abort(404)
    try:
        services.set_daily_cutoff(carrier, request.form.get("daily_cutoff", ""))
        db.session.commit()
    except services.HandoffError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("handoff.index"))


@bp.route("/handoff/manifests/<int:manifest_id>/sign", methods=["POST"])
@allow(*HANDLERS)
def sign(manifest_id):
    """Both sides sign: the manifest is handed over and can no longer change."""
    db.get_or_404(Manifest, manifest_id)
    courier = {key: request.form.get(f"courier_{key}", "") for key in ("name", "company", "badge")}
    signatures = {key: request.form.get(key, "")
                  for key in ("warehouse_name", "warehouse_svg", "courier_svg")}
    try:
        handover.hand_over(manifest_id, current_user.id, courier, signatures)
        db.session.commit()
    except services.HandoffError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("handoff.manifest", manifest_id=manifest_id))
    return redirect(url_for("handoff.document", manifest_id=manifest_id))


@bp.route("/handoff/manifests/<int:manifest_id>/document")
@allow(*HANDLERS, "customer_service")
def document(manifest_id):
    """The signed 交接单 as an A4 page to print."""
    manifest = db.get_or_404(Manifest, manifest_id)
    if manifest.status != "signed":
        return redirect(url_for("handoff.manifest", manifest_id=manifest.id))
    return render_template("handoff/document.html", manifest=manifest,
                           pages=documents.sheet_pages(manifest,
                                                       handover.signature_blocks(manifest)))


@bp.route("/handoff/manifests/<int:manifest_id>/document.svg")
@allow(*HANDLERS, "customer_service")
def document_svg(manifest_id):
    """One A4 page of the signed 交接单 as an SVG file (?page=2 for the next)."""
    manifest = db.get_or_404(Manifest, manifest_id)
    pages = (documents.sheet_pages(manifest, handover.signature_blocks(manifest))
             if manifest.status == "signed" else [])
    number = request.args.get("page", "1")
    if not (number.isascii() and number.isdigit() and 1 <= int(number) <= len(pages)):
        abort(404)
    return Response(pages[int(number) - 1], mimetype="image/svg+xml", headers={
        "Content-Disposition": f'attachment; filename="{manifest.code}-{number}.svg"'})


bp.record_once(labels.register)
from . import aftersales  # noqa: E402,F401 - its routes live on this blueprint
from . import home, tiles  # noqa: F401,E402 - registers its home lists and console tile
