"""Sign-in with throttling, people and devices."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from ..extensions import db
from ..timeutil import utcnow
from .models import Device, LoginFailure, User


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


def register_device(name, registered_by_id=None):
    """Register a handheld; return (device, token). The token is shown once."""
    name = (name or "").strip()
    if not name:
        raise ValueError("A device name is required.")
    if db.session.scalar(select(Device.id).where(Device.name == name)):
        raise ValueError(f"A device named {name} is already registered.")
    token = secrets.token_urlsafe(32)
    device = Device(name=name, token_hash=_hash_token(token), registered_by_id=registered_by_id)
    db.session.add(device)
    db.session.flush()
    return device, token


def device_for_token(token):
    """The live device a token belongs to, or None (unknown or revoked)."""
    if not token:
        return None
    device = db.session.scalar(select(Device).where(Device.token_hash == _hash_token(token)))
    if device is None or device.is_revoked:
        return None
    return device


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
