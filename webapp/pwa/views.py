"""The installable app: service worker at the root scope, offline shell, device setup."""
import hashlib
import json
import os
import re
import time
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, g, jsonify, render_template, session, url_for
from flask_babel import gettext
from flask_login import current_user

from ..access import allow, bearer_token, device_token, public
from ..accounts.models import ROLES
from ..accounts.services import device_for_token, record_sign_in
from ..extensions import db
from .shells import DEFAULT, prefixes, register_shell, shell_urls

bp = Blueprint("pwa", __name__, template_folder="templates")

# What the service worker stores at install: the shell works with no network.
# The camera polyfill (about 1 MB with its wasm) is precached too: a phone in a
# dead zone must be able to scan with its camera.
PRECACHE_GLOBS = ("css/app.css", "css/receiving.css", "vendor/htmx/htmx.min.js", "js/*.js", "icons/*",
                  "manifest.webmanifest", "vendor/barcode-detector/*.js",
                  "vendor/barcode-detector/*.wasm", "vendor/signature_pad/*.js")
_CONFIG_LINE = re.compile(r"^const CONFIG = .*;$", re.MULTILINE)


@lru_cache(maxsize=8)
def asset_version(static_folder):
    """A short hash of every static file: a new deployment means a new cache name."""
    digest = hashlib.sha256()
    root = Path(static_folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@bp.record_once
def _version_at_start(state):
    """Fix the app version once, when the app is built: ASSET_VERSION from the
    environment (a deploy may set the git commit), else the hash of static/."""
    version = os.environ.get("ASSET_VERSION") or asset_version(state.app.static_folder)
    state.app.config.setdefault("ASSET_VERSION", version)


@bp.app_context_processor
def _client_helpers():
    """Template helpers for the pages' scripts.

    N_(msgid): the translation with its %(name)s placeholders left in, for the
    browser to fill (Jinja's `_` always interpolates). Babel extracts N_ too.
    pwa_rendered_at(): when the page was made, so a cached shell's CSRF token
    never replaces a newer one.
    """
    return {"N_": gettext, "pwa_rendered_at": lambda: int(time.time() * 1000)}


def _precache_files():
    """Static files (relative to static/) the worker stores at install."""
    root = Path(current_app.static_folder)
    found = {p.relative_to(root).as_posix() for pattern in PRECACHE_GLOBS
             for p in root.glob(pattern) if p.is_file()}
    return sorted(found)


def worker_config():
    """What sw.js needs to know: version, files to precache, URLs of the shells and API."""
    shells = shell_urls()
    return {
        "version": current_app.config["ASSET_VERSION"],
        "precache": [url_for("static", filename=name) for name in _precache_files()] + shells,
        "shell": url_for(DEFAULT),
        # Offline, a page under a prefix opens that prefix's shell (else the picking one).
        "shells": prefixes(),
        "shellPages": shells + [url_for("pwa.device")],
        "scans": url_for("sync.post_scans"),
        "outbox": url_for("static", filename="js/outbox.js"),
        "manifest": url_for("static", filename="manifest.webmanifest"),
    }


@bp.route("/sw.js")
@public
def service_worker():
    """static/sw.js with its config filled in, served at / so it may control every page."""
    source = (Path(current_app.static_folder) / "sw.js").read_text(encoding="utf-8")
    config = json.dumps(worker_config(), separators=(",", ":"))
    body = _CONFIG_LINE.sub(lambda _match: f"const CONFIG = {config};", source, count=1)
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    # Always revalidated: a new version is found on the next visit, not after a day.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline/picking")
@public
def offline_picking():
    """The picking screen's shell; it renders the list kept on the device (IndexedDB)."""
    return render_template("pwa/offline_picking.html")


register_shell(DEFAULT)
register_shell("pwa.offline_packing", under="packing.station")


@bp.route("/offline/packing")
@public
def offline_packing():
    """The packing station's shell; it verifies orders kept on the device (IndexedDB)."""
    return render_template("pwa/offline_packing.html")


@bp.route("/device")
@allow(*ROLES)
def device():
    """Set up this browser as a registered device (its sync token) and see its state."""
    return render_template("pwa/device.html")


@bp.route("/device/state")
@device_token
@allow(*ROLES)
def device_state():
    """The device a token belongs to (401 when unknown or revoked), for the setup page."""
    device = g.get("device")
    if device is None:  # signed in, no token sent: this browser is not a device
        return jsonify(device=None)
    seen = device.last_seen_at.isoformat() if device.last_seen_at else None
    return jsonify(device={"id": device.id, "name": device.name, "last_seen_at": seen,
                           "pending_scans": device.pending_scans,
                           "roles": sorted(device.roles)})


@bp.route("/device/sign-in", methods=["POST"])
@allow(*ROLES)
def device_sign_in():
    """Record that the signed-in person uses the device whose token comes along: the
    device's scans may name only people who signed in on it."""
    device = device_for_token(bearer_token())
    if device is None:
        return jsonify(error=gettext("Unknown or revoked device token."), status=401), 401
    record_sign_in(device.id, current_user.id)
    db.session.commit()
    return jsonify(device={"id": device.id, "name": device.name},
                   user_id=current_user.id, signed_in=session.get("signed_in_at"))
