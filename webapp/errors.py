"""Error pages: a page for people, a fragment for htmx, JSON for the API."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException


def wants_json():
    """API callers get JSON; everyone else gets HTML."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _messages():
    """Human messages per status, translated at request time."""
    return {
        400: _("The request could not be understood."),
        401: _("Please sign in."),
        403: _("Your role does not allow this."),
        404: _("Not found."),
        405: _("This action is not allowed here."),
        409: _("This conflicts with a change made meanwhile."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Wait a few minutes and try again."),
        500: _("Something went wrong on our side. Nothing was saved; try again."),
    }


def render_error(status, message=None):
    """Build the error response in the form the caller asked for."""
    message = message or _messages().get(status, _("Error"))
    if wants_json():
        return jsonify(error=message, status=status), status
    template = "_error.html" if request.headers.get("HX-Request") else "error.html"
    return render_template(template, status=status, message=message), status


def register(app):
    """Install the handlers on the app."""

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render_error(400, _("The form expired or came from elsewhere. "
                                   "Reload the page and try again."))

    @app.errorhandler(StaleDataError)
    @app.errorhandler(DBAPIError)
    def database_error(error):
        # A row written by another request since this one read it (a pick task's
        # version), or PostgreSQL undoing this request to break a deadlock with
        # another: nothing of it is kept, and doing it again is safe; say so.
        from .conflicts import changed_meanwhile
        from .extensions import db
        db.session.rollback()
        if changed_meanwhile(error):
            app.logger.warning("changed meanwhile: %s", error)
            return render_error(409)
        app.logger.exception("unhandled error")
        return render_error(500)

    @app.errorhandler(HTTPException)
    def http_error(error):
        return render_error(error.code)

    @app.errorhandler(Exception)
    def unexpected(error):
        app.logger.exception("unhandled error")
        from .extensions import db
        db.session.rollback()
        return render_error(500)
