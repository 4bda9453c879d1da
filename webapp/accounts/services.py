"""Sign-in with throttling, people and devices."""
import hashlib
import secrets
from datetime import timedelta
import functools

from flask import current_app, g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..timeutil import utcnow
from .models import Device, DeviceSignIn, LoginFailure, User

# What a device registered without saying serves: the handhelds that came first.
DEFAULT_DEVICE_ROLES = ("picker", "packer")


class LoginThrottled(Exception):
    """Too many recent failures for this name or address."""


def authenticate(username, password, remote_addr):
    """Return the user for good credentials, None for bad ones.

    Raises LoginThrottled once a name, or an address, has failed too often
    recently; the check comes first, so a locked account cannot be probed.
    """
    username = (username or "").strip().lower()
    _refuse_if_throttled(username, remote_addr)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.check_password(password or ""):
        db.session.add(LoginFailure(username=username[:64], remote_addr=remote_addr or ""))
        return None
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    return user


def _refuse_if_throttled(username, remote_addr):
    """Raise LoginThrottled when the failure budget is spent."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_LOCK_SECONDS"])
    by_name = db.session.scalar(select(func.count()).where(
        LoginFailure.username == username, LoginFailure.created_at >= since))
    # One address may try a few names (a shared scanner), but not a dictionary.
    by_addr = db.session.scalar(select(func.count()).where(
        LoginFailure.remote_addr == (remote_addr or ""), LoginFailure.created_at >= since))
    if by_name >= limit or by_addr >= limit * 4:
        raise LoginThrottled()


def create_user(username, password, roles, display_name=""):
    """Add a person with a hashed password and their roles."""
    username = username.strip().lower()
    if not username:
        raise ValueError("A username is required.")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise ValueError(f"The username {username} is taken.")
    user = User(username=username, display_name=display_name or username)
    user.set_password(password)
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    return user


def _hash_token(token):
    """Tokens are stored hashed: a leaked table does not let anyone sync."""
    return hashlib.sha256(token.encode()).hexdigest()


def register_device(name, registered_by_id=None, roles=DEFAULT_DEVICE_ROLES):
    """Register a device for the roles it serves; return (device, token). The token is
    shown once."""
    name = (name or "").strip()
    if not name:
        raise ValueError("A device name is required.")
    if len(name) > 120:
        raise ValueError(_("A device name has at most 120 characters."))
    if db.session.scalar(select(Device.id).where(Device.name == name)):
        raise ValueError(f"A device named {name} is already registered.")
    token = secrets.token_urlsafe(32)
    device = Device(name=name, token_hash=_hash_token(token), registered_by_id=registered_by_id)
    device.set_roles(roles)
    db.session.add(device)
    db.session.flush()
    return device, token


def set_device_roles(device_id, roles):
    """Change the roles a device serves (its token opens only their routes)."""
    device = db.session.get(Device, device_id)
    if device is None:
        raise LookupError("No such device.")
    device.set_roles(roles)
    return device


def record_sign_in(device_id, user_id):
    """Keep that this person signed in on this device: its scans may name them."""
    db.session.add(DeviceSignIn(device_id=device_id, user_id=user_id))
    db.session.flush()
    _sign_in_cache().pop((device_id, user_id), None)


def signed_in_on(device_id, user_id):
    """True when the person has signed in on the device (asked once per request)."""
    cache, key = _sign_in_cache(), (device_id, user_id)
    if key not in cache:
        cache[key] = db.session.scalar(_SIGNED_IN, {"d": device_id, "u": user_id}) is not None
    return cache[key]


def signed_in_column(device_id, user_id):
    """signed_in_on as a column of a caller's own statement (bind parameter names
    `device_id`, column `user_id`): a synced scan reads its person and this at once.
    Hand the value read to known_sign_in."""
    return (select(DeviceSignIn.id).where(DeviceSignIn.device_id == device_id,
                                          DeviceSignIn.user_id == user_id)
            .limit(1).exists())


def known_sign_in(device_id, user_id, signed_in):
    """Keep what a caller read through signed_in_column for signed_in_on."""
    _sign_in_cache()[(device_id, user_id)] = bool(signed_in)


# Built once (as _DEVICE below): every synced scan request asks.
_SIGNED_IN = select(DeviceSignIn.id).where(DeviceSignIn.device_id == bindparam("d"),
                                           DeviceSignIn.user_id == bindparam("u")).limit(1)


def _sign_in_cache():
    """Per request (or job): a batch of thousands of scans names the same few people."""
    return g.setdefault("device_sign_ins", {}) if has_app_context() else {}


def device_scan_problem(device_id, user_id, action_roles):
    """Why a device may not send this person's scan for an action, or None.

    The device must serve one of the action's roles, and the person must have
    signed in on it: a handheld cannot scan in the name of someone who never
    held it.
    """
    device = db.session.get(Device, device_id)
    if device is None or not device.roles & set(action_roles):
        return "this device is not registered for this work"
    if not signed_in_on(device_id, user_id):
        return "this person has not signed in on this device"
    return None


def recent_sign_ins(device_ids, per_device=5):
    """{device_id: [display names]} of the latest people signed in on each device."""
    rows = db.session.execute(
        select(DeviceSignIn.device_id, User.display_name, func.max(DeviceSignIn.signed_in_at))
        .join(User, User.id == DeviceSignIn.user_id)
        .where(DeviceSignIn.device_id.in_(list(device_ids)))
        .group_by(DeviceSignIn.device_id, User.display_name)
        .order_by(func.max(DeviceSignIn.signed_in_at).desc())).all()
    found = {}
    for device_id, name, _at in rows:
        names = found.setdefault(device_id, [])
        if len(names) < per_device:
            names.append(name)
    return found


def device_for_token(token):
    """The live device a token belongs to, or None (unknown or revoked)."""
    if not token:
        return None
    device = db.session.scalars(_DEVICE, {"hash": _hash_token(token)}).unique().first()
    if device is None or device.is_revoked:
        return None
    return device


def note_device(device, **values):
    """Write a device's bookkeeping (last seen, scans waiting) in one Core UPDATE and keep
    the loaded row in step: an ORM flush of it cost a synced scan more than its read."""
    db.session.execute(_note_statement(tuple(sorted(values))), {"device_id": device.id, **values})
    for name, value in values.items():
        set_committed_value(device, name, value)


@functools.cache
def _note_statement(names):
    """UPDATE device SET <names> WHERE id, built once per set of names."""
    table = Device.__table__
    return (update(table).where(table.c.id == bindparam("device_id"))
            .values({name: bindparam(name) for name in names}))


# The device with its roles in one statement: every request of a handheld asks.
_DEVICE = (select(Device).options(joinedload(Device.role_rows))
           .where(Device.token_hash == bindparam("hash")))


def revoke_device(device_id):
    """Stop a device from syncing; its past scans stay in the ledger."""
    device = db.session.get(Device, device_id)
    if device is None:
        raise ValueError("No such device.")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
    return device


def search_users(text_filter=""):
    """People, optionally filtered by name."""
    query = select(User).order_by(User.username)
    if text_filter:
        pattern = f"%{text_filter.lower()}%"
        query = query.where(or_(User.username.like(pattern), User.display_name.like(pattern)))
    return db.session.scalars(query).all()
