"""Numbers too big for the database get a clear answer at the edge, never a 500
(OverflowError on SQLite, NumericValueOutOfRange on PostgreSQL)."""
import uuid

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.picking.models import PickTask
from webapp.sync.models import ScanRecord

HUGE = (2**31, 2**63, 10**30, "9" * 40, "1" * 5000)


def _first_task(walk):
    """The first task of the walked list."""
    return db.session.scalars(select(PickTask).where(PickTask.pick_list_id == walk["list"].id)
                              .order_by(PickTask.sequence)).first()


@pytest.mark.parametrize("field", ["seq", "quantity", "user_id", "pick_list_id", "task_id"])
def test_a_scan_field_too_big_is_rejected_with_its_name(walk, device, scans, field):
    """Each such scan is stored as rejected, naming the field; the batch goes on."""
    task = _first_task(walk)
    batch = [scans.make(task, task.location.code, **{field: value}) for value in HUGE]
    good = scans.make(task, task.location.code)
    response = walk["app"].test_client().post(
        "/api/v1/scans", headers=device["headers"],
        json={"device_id": device["id"], "scans": [*batch, good], "pending": 3})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * len(HUGE) + ["applied"]
    assert {r["reason"] for r in results[:-1]} == {f"{field} is out of range (at most 2147483647)"}
    assert db.session.scalar(select(func.count()).select_from(ScanRecord)) == len(HUGE) + 1


def test_a_huge_order_id_in_a_verify_scan_is_rejected(walk, device):
    """The same for a packing station's scan."""
    scan = {"id": str(uuid.uuid4()), "seq": 1, "action": "verify",
            "user_id": walk["picker"].id, "code": "X", "quantity": 1, "order_id": 2**40,
            "device_time": "2026-11-28T10:00:00+00:00"}
    response = walk["app"].test_client().post("/api/v1/scans", headers=device["headers"],
                                              json={"scans": [scan]})
    assert response.status_code == 200
    assert response.get_json()["results"][0]["reason"].startswith("order_id is out of range")


@pytest.mark.parametrize("path", ["/api/v1/picklists/{}/offline", "/api/v1/orders/{}/offline"])
def test_a_path_id_too_big_is_404(walk, device, path):
    """A path id beyond the database's integers names nothing: 404 JSON, with the
    device token and with a session."""
    client = walk["app"].test_client()
    for value in (2**31, 2**63, 10**30):
        response = client.get(path.format(value), headers=device["headers"])
        assert response.status_code == 404 and response.get_json()["status"] == 404
    assert client.get(path.format(2**31 - 1), headers=device["headers"]).status_code in (403, 404)


@pytest.mark.parametrize("size", [1, 250])
def test_a_rejected_scan_naming_nobody_is_kept_not_taken_for_a_duplicate(walk, device, scans,
                                                                        size):
    """user_id of no one (and a malformed action): stored as rejected, answered so. It
    was answered "duplicate" and lost on PostgreSQL (the user foreign key failed), and a
    stored batch holding one failed whole."""
    task = _first_task(walk)
    batch = [scans.make(task, task.location.code, user_id=2**31 - 1, action="dance")
             for _ in range(size)]
    response = walk["app"].test_client().post(
        "/api/v1/scans", headers=device["headers"], json={"scans": batch})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    results = response.get_json()["results"]
    assert {r["status"] for r in results} == {"rejected"}
    assert "names nobody" in results[0]["reason"]
    assert db.session.scalar(select(func.count()).select_from(ScanRecord)) == size


@pytest.mark.parametrize("body", [{"pending": 2**70}, {"pending": -1}, {"pending": "3"},
                                  {"device_id": 2**63}, {"device_id": "HH-1"}])
def test_a_batch_whose_device_id_or_pending_is_not_a_whole_number_in_range_is_400(walk,
                                                                                  device, body):
    """Refused whole with the field named, before anything is stored."""
    response = walk["app"].test_client().post("/api/v1/scans", headers=device["headers"],
                                              json={"scans": [], **body})
    assert response.status_code == 400
    assert response.get_json()["error"] == (
        f"{next(iter(body))} must be a whole number from 0 to 2147483647.")
