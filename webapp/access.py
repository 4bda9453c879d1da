"""Who may use which route. Every route declares it; undeclared routes are closed.

Declaring on the view keeps the rule next to the code it guards, and one
before_request hook enforces it, so a forgotten decorator fails closed (403)
rather than open.
"""
from datetime import timedelta

from flask import abort, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from .extensions import login_manager

PUBLIC = "public"
# A device's last_seen_at is written at most this often (see _authenticate_device).
LAST_SEEN_STEP = timedelta(seconds=5)


def allow(*roles):
    """Let people holding any of `roles` use this view."""
    def decorate(view):
        view.allowed_roles = frozenset(roles)
        return view
    return decorate


def public(view):
    """Let anyone, signed in or not, use this view."""
    view.allowed_roles = PUBLIC
    return view


def device_token(view):
    """Also accept a registered device's token (Authorization: Bearer ...) on this view.

    Handhelds and channel integrations authenticate this way, so a batch sent
    after the session or CSRF token expired is still accepted.
    """
    view.accepts_device_token = True
    return view


def allowed_roles(endpoint):
    """The declared roles of an endpoint: a frozenset, PUBLIC, or None if undeclared."""
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "allowed_roles", None)


def enforce():
    """before_request: apply the declaration of the matched route."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    roles = allowed_roles(request.endpoint)
    if roles is None:
        abort(403)
    if roles == PUBLIC:
        return None
    if "Authorization" in request.headers and _accepts_device_token(request.endpoint):
        # A header we cannot read is refused, never ignored in favour of a session.
        return _authenticate_device(roles)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_any_role(roles):
        abort(403)
    return None


def bearer_token():
    """The token of an Authorization: Bearer header, or None."""
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _accepts_device_token(endpoint):
    """True when the endpoint's view takes device tokens."""
    return getattr(current_app.view_functions.get(endpoint), "accepts_device_token", False)


def _authenticate_device(roles):
    """Let a live device serving one of `roles` through; refuse unknown or revoked
    tokens with 401, a device registered for other work with 403."""
    from .accounts.services import device_for_token, note_device
    from .timeutil import aware as _aware, utcnow
    device = device_for_token(bearer_token())
    if device is None:
        return jsonify(error=_("Unknown or revoked device token."), status=401), 401
    if not device.roles & roles:
        return jsonify(error=_("This device is not registered for this work."),
                       status=403), 403
    # Not committed here: the view's transaction carries it. A commit of our own cost
    # every synced scan a second transaction (on SQLite a second turn of the write lock).
    # Kept to LAST_SEEN_STEP: a handheld scanning every second wrote its device row
    # every second (a statement of each scan) for a time the console shows in minutes.
    now = utcnow()
    if device.last_seen_at is None or now - _aware(device.last_seen_at) >= LAST_SEEN_STEP:
        note_device(device, last_seen_at=now)
    g.device = device
    return None
