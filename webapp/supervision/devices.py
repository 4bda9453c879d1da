"""Every registered handheld as the supervisor sees it: who used it last, when it last
synced, how many scans it said were waiting, the conflicts its scans raised.

A device that holds unsent scans and has not been heard from for longer than
DEVICE_SILENT_MINUTES is flagged: its scans are at risk (flat battery, lost,
out of range) and someone should go and find it.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from ..accounts.models import Device, User
from ..extensions import db
from ..sync.models import ScanRecord
from ..timeutil import aware, utcnow
from .clock import age_seconds


def silent_after():
    """How long a device holding scans may stay silent before it is flagged."""
    return timedelta(minutes=current_app.config["DEVICE_SILENT_MINUTES"])


def is_silent(device, now=None):
    """True for a live device with scans waiting, not heard from for too long."""
    if device.is_revoked or not device.pending_scans:
        return False
    seen = aware(device.last_seen_at or device.registered_at)
    return (now or utcnow()) - seen > silent_after()


def overview():
    """One row per device, flagged ones first, then by name."""
    devices = db.session.scalars(select(Device).order_by(Device.name)).all()
    conflicts = dict(db.session.execute(
        select(ScanRecord.device_id, func.count()).where(ScanRecord.status == "conflict")
        .group_by(ScanRecord.device_id)).all())
    open_conflicts = dict(db.session.execute(
        select(ScanRecord.device_id, func.count()).where(
            ScanRecord.status == "conflict", ScanRecord.resolved_at.is_(None))
        .group_by(ScanRecord.device_id)).all())
    now = utcnow()
    last_users = _last_users()
    rows = [{"device": d, "last_user": last_users[d.id], "silent": is_silent(d, now),
             "age": age_seconds(d.last_seen_at, now),
             "conflicts": conflicts.get(d.id, 0), "open_conflicts": open_conflicts.get(d.id, 0),
             "version": getattr(d, "app_version", None)} for d in devices]
    return sorted(rows, key=lambda row: (not row["silent"], row["device"].is_revoked,
                                         row["device"].name))


def _last_users():
    """{device id: the person named on its latest scan}, in one statement: a correlated
    subquery per device that the (device_id, seq) index answers at once."""
    latest = (select(ScanRecord.user_id).where(ScanRecord.device_id == Device.id)
              .order_by(ScanRecord.seq.desc()).limit(1).scalar_subquery())
    pairs = db.session.execute(select(Device.id, latest)).all()
    wanted = {uid for _device, uid in pairs if uid}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))} \
        if wanted else {}
    return {device_id: people.get(uid) for device_id, uid in pairs}


def summary():
    """Counts for the console tile: live devices, scans waiting, silent devices. One
    query: the tile shows no conflicts and no people, so it reads neither."""
    now = utcnow()
    live = [d for d in db.session.scalars(select(Device).options(lazyload(Device.role_rows))
                                          .order_by(Device.name)) if not d.is_revoked]
    silent = [{"device": d, "age": age_seconds(d.last_seen_at, now)}
              for d in live if is_silent(d, now)]
    return {"live": len(live), "waiting": sum(d.pending_scans for d in live), "silent": silent}
