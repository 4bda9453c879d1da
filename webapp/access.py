"""Who may use which route. Every route declares it; undeclared routes are closed.

Declaring on the view keeps the rule next to the code it guards, and one
before_request hook enforces it, so a forgotten decorator fails closed (403)
rather than open.
"""
from flask import abort, current_app, request
from flask_login import current_user

from .extensions import login_manager

PUBLIC = "public"


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
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_any_role(roles):
        abort(403)
    return None
