"""A device sends only the scans of people who signed in on it, for the work it serves."""
from sqlalchemy import func, select

from webapp.accounts.models import DeviceSignIn
from webapp.accounts.services import record_sign_in, register_device, revoke_device
from webapp.catalog.models import StockMovement
from webapp.extensions import db
from webapp.picking.models import PickTask


def _device(roles, name="HH-NEW"):
    """A device serving `roles`, with nobody signed in on it yet."""
    device, token = register_device(name, roles=roles)
    db.session.commit()
    return {"id": device.id, "headers": {"Authorization": f"Bearer {token}"}, "token": token}


def _post(walk, device, batch):
    """Send a batch with the device token; return the results."""
    response = walk["app"].test_client().post("/api/v1/scans", headers=device["headers"],
                                              json={"device_id": device["id"], "scans": batch})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def _first_task(walk):
    """The first task of the walked list, read afresh."""
    db.session.expire_all()
    return db.session.scalars(select(PickTask).where(PickTask.pick_list_id == walk["list"].id)
                              .order_by(PickTask.sequence)).first()


def _picks():
    """Pick movements in the ledger."""
    return db.session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.reason == "pick"))


def _signed_in(walk, username="picker"):
    """A client of the test's app signed in as a demo person."""
    client = walk["app"].test_client()
    assert client.post("/login", data={"username": username, "password": "demo"}
                       ).status_code == 302
    return client


def test_a_scan_by_someone_who_never_signed_in_on_the_device_is_rejected(walk, scans):
    """The token alone does not let a handheld scan as any picker: rejected with the
    reason, never applied; once the picker signs in there, the same work goes through."""
    device = _device(["picker"])
    task = _first_task(walk)
    results = _post(walk, device, scans.complete(task))
    assert {r["status"] for r in results} == {"rejected"}
    assert {r["reason"] for r in results} == {"this person has not signed in on this device"}
    assert _first_task(walk).picked_qty == 0 and not _first_task(walk).location_confirmed
    assert _picks() == 0

    client = _signed_in(walk)
    answer = client.post("/device/sign-in", headers=device["headers"])
    assert answer.status_code == 200 and answer.get_json()["user_id"] == walk["picker"].id
    results = _post(walk, device, scans.complete(task))
    assert {r["status"] for r in results} == {"applied"}
    assert _first_task(walk).status == "done" and _picks() == 1


def test_a_packing_station_may_not_send_pick_scans(walk, scans):
    """A device registered for packing only: a pick scan is rejected, even from a
    picker who signed in on it."""
    device = _device(["packer"])
    record_sign_in(device["id"], walk["picker"].id)
    db.session.commit()
    results = _post(walk, device, scans.complete(_first_task(walk))[:1])
    assert results[0]["status"] == "rejected"
    assert results[0]["reason"] == "this device is not registered for this work"
    assert not _first_task(walk).location_confirmed


def test_the_offline_list_goes_only_to_a_device_its_picker_signed_in_on(walk):
    """A handheld cannot fetch any picker's list: only those of people who held it."""
    device = _device(["picker"])
    client = walk["app"].test_client()
    path = f"/api/v1/picklists/{walk['list'].id}/offline"
    refused = client.get(path, headers=device["headers"])
    assert refused.status_code == 403 and "not signed in" in refused.get_json()["error"]
    record_sign_in(device["id"], walk["picker"].id)
    db.session.commit()
    assert client.get(path, headers=device["headers"]).status_code == 200


def test_signing_in_on_a_device_needs_a_live_token_and_a_session(walk):
    """Each sign-in is recorded; an unknown or revoked token records nothing (401)."""
    device = _device(["picker"])
    client = _signed_in(walk)
    assert client.post("/device/sign-in").status_code == 401
    assert client.post("/device/sign-in", headers={"Authorization": "Bearer nope"}
                       ).status_code == 401
    assert client.post("/device/sign-in", headers=device["headers"]).status_code == 200
    assert client.post("/device/sign-in", headers=device["headers"]).status_code == 200
    revoke_device(device["id"])
    db.session.commit()
    assert client.post("/device/sign-in", headers=device["headers"]).status_code == 401
    anonymous = walk["app"].test_client().post("/device/sign-in", headers=device["headers"])
    assert anonymous.status_code == 302  # to the sign-in page
    assert db.session.scalar(select(func.count()).select_from(DeviceSignIn)) == 2
