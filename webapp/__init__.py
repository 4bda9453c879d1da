"""Application factory: settings, extensions, blueprints, access control, errors."""
import logging
import os
import uuid

from flask import Flask, g, has_request_context, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from . import access, config, database, errors, limits, logs, templating
from .extensions import babel, csrf, db, htmx, login_manager, migrate

log = logging.getLogger(__name__)


def create_app(test_config=None):
    """Build the app; `test_config` overrides the environment (tests use it)."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None,
                instance_relative_config=True, static_folder="../static",
                static_url_path="/static")
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    logs.configure(app.config["LOG_LEVEL"])
    if app.config["BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    # Before any route exists: every <int:...> in a URL is bounded by the database.
    app.url_map.converters["int"] = limits.BoundedInt
    _init_extensions(app)
    _register_blueprints(app)
    errors.register(app)
    templating.register(app)
    from .signatures import services as signatures
    signatures.register(app)
    app.before_request(_tag_request)
    app.before_request(access.enforce)
    app.after_request(_security_headers)
    return app


def _init_extensions(app):
    """Bind the extension objects to this app."""
    db.init_app(app)
    with app.app_context():
        database.tune_engine(db.engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    # No "session protection": its basic mode marks a signed-out session not fresh on
    # the first request after the sign-in page, so each such answer writes the session
    # cookie back. The service worker stores the app's shells while the person types
    # their password; a shell answered after the sign-in then put the signed-out cookie
    # back and signed them out. Nothing here asks for a fresh sign-in.
    login_manager.session_protection = None
    from .accounts import auth  # registers the user loader and unauthorized handler
    auth.init(login_manager)
    from .audit import trail  # every audited change of state, after each flush
    trail.install()


def _register_blueprints(app):
    """One blueprint per domain."""
    from .accounts.views import bp as accounts_bp
    from .api.views import bp as api_bp
    from .audit.views import bp as audit_bp
    from .catalog.views import bp as catalog_bp
    from .core.views import bp as core_bp
    from .counts.views import bp as counts_bp
    from .handoff.views import bp as handoff_bp
    from .orders.views import bp as orders_bp
    from .packing.views import bp as packing_bp
    from .picking.views import bp as picking_bp
    from .pwa.views import bp as pwa_bp
    from .receiving.views import bp as receiving_bp
    from .reconciliation.views import bp as reconciliation_bp
    from .returns.views import bp as returns_bp
    from .supervision.views import bp as supervision_bp
    from .sync.views import bp as sync_bp

    for bp in (core_bp, accounts_bp, catalog_bp, reconciliation_bp, orders_bp, picking_bp,
               packing_bp, handoff_bp, api_bp, audit_bp, sync_bp, pwa_bp, supervision_bp,
               receiving_bp, returns_bp, counts_bp):
        app.register_blueprint(bp)
    from . import cli
    cli.register(app)


def _select_locale():
    """The language chosen with the switch, else the browser's, else English.

    Jobs and CLI commands have no request: they use the default language.
    """
    if not has_request_context():
        return None
    languages = app_languages()
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "en"


def app_languages():
    """Language codes the UI is translated into."""
    from flask import current_app
    return list(current_app.config["LANGUAGES"])


def _tag_request():
    """Give each request an id for the logs."""
    g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex[:12]


def _security_headers(response):
    """Headers every response carries. No third-party origin is ever allowed."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; media-src 'self' blob:")
    # The page a person sees depends on these; caches must not mix them up.
    response.vary.add("HX-Request")
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response

