"""Flask-Login wiring: load the user, and answer unauthenticated calls."""
from flask import jsonify, redirect, request, url_for
from flask_babel import gettext as _

from ..extensions import db
from .models import User


def init(login_manager):
    """Register the loader and the unauthorized handler."""

    @login_manager.user_loader
    def load_user(user_id):
        return db.session.get(User, int(user_id))

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            return jsonify(error=_("Please sign in."), status=401), 401
        target = url_for("accounts.login", next=request.full_path.rstrip("?"))
        if request.headers.get("HX-Request"):
            # A swapped fragment cannot show a login page; have htmx navigate.
            return "", 401, {"HX-Redirect": target}
        return redirect(target)
