"""Home screen (each person's work by role) and the health check."""
from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import text

from ..access import allow, public
from ..accounts.models import ROLES
from ..extensions import db
from ..queues import redis_connection
from .home import cards_for, work_for

bp = Blueprint("core", __name__, template_folder="templates")


@bp.route("/")
@allow(*ROLES)
def home():
    """The work of each role the person holds, biggest buttons first; a supervisor's
    home is the live console (webapp/supervision/tiles.py) above the cards."""
    from ..supervision.views import console_tiles, tile_links
    # A card that opens the same page as a tile's title would only repeat it.
    linked = tile_links(current_user.roles)
    cards = [card for card in cards_for(current_user.roles) if card["url"] not in linked]
    return render_template("core/home.html", cards=cards,
                           tiles=console_tiles(current_user.roles),
                           work=work_for(current_user.roles))


@bp.route("/healthz")
@public
def healthz():
    """Database and Redis state as JSON; 503 when either is down."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "degraded", **checks}
    return jsonify(body), 200 if healthy else 503


def _check_database():
    """Run a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "backend": db.engine.dialect.name}
    except Exception as error:  # any driver error means "down" here
        db.session.rollback()
        current_app.logger.warning("health: database down: %s", error)
        return {"ok": False, "error": type(error).__name__}


def _check_redis():
    """Ping Redis."""
    try:
        redis_connection().ping()
        return {"ok": True}
    except (RedisError, OSError) as error:
        return {"ok": False, "error": type(error).__name__}
