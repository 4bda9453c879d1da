"""Changes made by synced scans are on the audit trail under the scanning person."""
from sqlalchemy import select

from webapp.audit.models import AuditEntry
from webapp.extensions import db


def trail(object_type, object_id):
    """The entries of one object, oldest first."""
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id)).all()


def test_a_synced_scan_names_its_person_device_and_device_time(walk, device, scans):
    """Changes a scan makes are attributed to the scanning person and device, with the
    device's time and the scan's id."""
    from webapp.picking.models import PickList
    pick_list = walk["list"]
    client = walk["app"].test_client()
    for task in list(pick_list.tasks):
        batch = scans.complete(task)
        response = client.post("/api/v1/scans", headers=device["headers"],
                               json={"device_id": device["id"], "scans": batch})
        assert {r["status"] for r in response.get_json()["results"]} == {"applied"}
    db.session.expire_all()
    assert db.session.get(PickList, pick_list.id).status == "done"
    finished = trail("pick_list", pick_list.id)[-1]
    assert finished.new_values["status"] == "done"
    assert (finished.user_id, finished.device_id) == (walk["picker"].id, device["id"])
    assert finished.device_time is not None and finished.why.startswith("scan ")


def test_every_entry_a_synced_walk_writes_names_its_scan(walk, device, scans):
    """Changes flushed when a scan's savepoint is released are the scan's too."""
    pick_list = walk["list"]
    client = walk["app"].test_client()
    first = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0
    for task in list(pick_list.tasks):
        response = client.post("/api/v1/scans", headers=device["headers"],
                               json={"device_id": device["id"], "scans": scans.complete(task)})
        assert {r["status"] for r in response.get_json()["results"]} == {"applied"}
    db.session.expire_all()
    written = db.session.scalars(select(AuditEntry).where(AuditEntry.id > first)).all()
    unnamed = [(e.object_type, e.new_values) for e in written if not (e.why or "").startswith("scan ")]
    assert written and not unnamed
