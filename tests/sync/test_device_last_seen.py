"""A device's last sync is kept to access.LAST_SEEN_STEP: a handheld scanning every
second no longer writes its device row on every request, and the console still sees
it within seconds."""
from datetime import timedelta

from webapp.access import LAST_SEEN_STEP
from webapp.accounts.models import Device
from webapp.extensions import db
from webapp.timeutil import aware, utcnow


def _sync(client, device):
    response = client.post("/api/v1/scans", headers=device["headers"],
                           json={"device_id": device["id"], "scans": []})
    assert response.status_code == 200


def _seen(device_id):
    db.session.expire_all()
    return aware(db.session.get(Device, device_id).last_seen_at)


def _set_seen(device_id, moment):
    db.session.get(Device, device_id).last_seen_at = moment
    db.session.commit()


def test_last_seen_is_written_once_a_step(walk, device):
    client = walk["app"].test_client()
    recent = utcnow() - LAST_SEEN_STEP / 5
    _set_seen(device["id"], recent)
    _sync(client, device)
    assert _seen(device["id"]) == recent  # within the step: not written again
    stale = utcnow() - LAST_SEEN_STEP - timedelta(seconds=1)
    _set_seen(device["id"], stale)
    _sync(client, device)
    assert _seen(device["id"]) > stale + LAST_SEEN_STEP  # past it: written now
