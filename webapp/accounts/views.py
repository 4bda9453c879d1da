"""Sign in and out, language, people and devices."""
import time

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..access import allow, public
from ..extensions import db
from . import services
from .models import ROLES, Device, User

bp = Blueprint("accounts", __name__, template_folder="templates")


def _safe_next(target):
    """Only follow same-site relative paths after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("core.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the sign-in form; sign in on POST, throttling repeated failures."""
    status = 200
    if request.method == "POST":
        try:
            user = services.authenticate(request.form.get("username"),
                                         request.form.get("password"), request.remote_addr)
        except services.LoginThrottled:
            flash(_("Too many failed sign-ins. Wait a few minutes and try again."), "error")
            status = 429
        else:
            db.session.commit()
            if user:
                login_user(user, remember=bool(request.form.get("remember")))
                # Marks this sign-in: the page's script records it once on the device.
                session["signed_in_at"] = int(time.time() * 1000)
                if user.locale and "lang" not in session:
                    session["lang"] = user.locale
                return redirect(_safe_next(request.args.get("next")))
            flash(_("Wrong username or password."), "error")
            status = 401
    demo_users = ROLES if current_app.config["DEMO_MODE"] else ()
    return render_template("accounts/login.html", demo_users=demo_users), status


@bp.route("/logout", methods=["POST"])
@allow(*ROLES)
def logout():
    """Sign out (POST only, so a link cannot sign someone out)."""
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the UI language for this session."""
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/admin/users", methods=["GET", "POST"])
@allow("admin")
def users():
    """List people; create one on POST."""
    if request.method == "POST":
        try:
            services.create_user(request.form.get("username", ""),
                                 request.form.get("password", ""),
                                 request.form.getlist("roles"),
                                 request.form.get("display_name", ""))
        except ValueError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Person added."), "ok")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/users.html", users=services.search_users(request.args.get("q", "")),
                           roles=ROLES)


@bp.route("/admin/users/<int:user_id>", methods=["POST"])
@allow("admin")
def update_user(user_id):
    """Change a person's roles, active flag or password."""
    user = db.get_or_404(User, user_id)
    try:
        user.set_roles(request.form.getlist("roles"))
    except ValueError as error:
        flash(str(error), "error")
        return redirect(url_for("accounts.users"))
    if user.id != current_user.id:  # nobody locks themselves out
        user.active = bool(request.form.get("active"))
    if request.form.get("password"):
        user.set_password(request.form["password"])
    db.session.commit()
    flash(_("Saved."), "ok")
    return redirect(url_for("accounts.users"))


@bp.route("/admin/devices", methods=["GET", "POST"])
@allow("admin", "supervisor")
def devices():
    """List handhelds; register one on POST and show its token once."""
    token, status = None, 200
    if request.method == "POST":
        try:
            device, token = services.register_device(
                request.form.get("name"), current_user.id, request.form.getlist("roles"))
        except ValueError as error:
            flash(str(error), "error")
            status = 422
        else:
            db.session.commit()
            flash(_("Device %(name)s registered. Copy its token now; it is not shown again.",
                    name=device.name), "ok")
    devices = db.session.scalars(db.select(Device).order_by(Device.name)).all()
    signed_in = services.recent_sign_ins(d.id for d in devices)
    return render_template("accounts/devices.html", devices=devices, token=token,
                           roles=ROLES, signed_in=signed_in), status


@bp.route("/admin/devices/<int:device_id>/roles", methods=["POST"])
@allow("admin", "supervisor")
def device_roles(device_id):
    """Change the roles a device serves."""
    try:
        device = services.set_device_roles(device_id, request.form.getlist("roles"))
    except LookupError:
        abort(404)
    except ValueError as error:
        flash(str(error), "error")
        return redirect(url_for("accounts.devices"))
    db.session.commit()
    flash(_("Device %(name)s saved.", name=device.name), "ok")
    return redirect(url_for("accounts.devices"))


@bp.route("/admin/devices/<int:device_id>/revoke", methods=["POST"])
@allow("admin", "supervisor")
def revoke_device(device_id):
    """Revoke a device so its token no longer syncs."""
    try:
        services.revoke_device(device_id)
    except ValueError:
        abort(404)
    db.session.commit()
    flash(_("Device revoked."), "ok")
    return redirect(url_for("accounts.devices"))
