"""The scan action registry: domains declare their actions, sync stores and replays them."""
import pytest
from sqlalchemy import select

from webapp.sync import actions
from webapp.sync.models import ScanRecord
from webapp.extensions import db


def test_outbound_actions_are_registered_by_their_domains(app):
    """discover() found the picking and packing modules; each names its roles and ids."""
    pick, verify = actions.get("pick"), actions.get("verify")
    assert pick.apply.__module__ == "webapp.picking.scan_actions"
    assert verify.apply.__module__ == "webapp.packing.scan_actions"
    assert pick.roles == {"picker"} and pick.needs == ("pick_list_id", "task_id")
    assert verify.roles == {"packer", "supervisor"} and verify.needs == ("order_id",)
    assert {"picker", "packer"} <= actions.roles_for_all()


def test_register_refuses_unknown_references_and_a_second_owner(app):
    """A typo in `needs` or two domains claiming one name fails at start-up, not at sync."""
    with pytest.raises(ValueError, match="unknown references"):
        actions.register("x-test", roles={"picker"}, needs=("receipt",), apply=print)
    with pytest.raises(ValueError, match="registered twice"):
        actions.register("pick", roles={"picker"}, apply=print)
    assert actions.get("x-test") is None


def test_openapi_lists_the_registered_actions(client):
    """The API document's action enum is the registry's, not a copy that can drift."""
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Scan"]
    assert schema["properties"]["action"]["enum"] == actions.names()
    assert {"subject_id", "line_id", "payload"} <= set(schema["properties"])


def post(client, device, scans):
    """Send scans with the device token; return the results."""
    response = client.post("/api/v1/scans", headers=device["headers"],
                           json={"device_id": device["id"], "scans": scans})
    assert response.status_code == 200, response.data
    return response.get_json()["results"]


def test_unknown_action_and_missing_ids_are_rejected_with_the_reason(walk, device, scans):
    """Nothing unregistered is applied; each scan says what was wrong with it."""
    task = walk["list"].tasks[0]
    client = walk["app"].test_client()
    unknown = scans.make(task, "X", action="teleport")
    no_task = scans.make(task, "X")
    del no_task["task_id"]
    results = post(client, device, [unknown, no_task])
    assert results[0]["status"] == "rejected" and "unknown action 'teleport'" in results[0]["reason"]
    assert results[1] == {"id": no_task["id"], "status": "rejected",
                          "reason": "a pick scan needs pick_list_id and task_id"}


def test_payload_is_stored_and_bounded(walk, device, scans):
    """A scan's extras are kept as JSON; a non-object or an oversized one is rejected."""
    task = walk["list"].tasks[0]
    client = walk["app"].test_client()
    kept = scans.make(task, task.location.code, payload={"lot": "L1", "note": "ok"})
    wrong = scans.make(task, task.location.code, payload=["not", "an", "object"])
    huge = scans.make(task, task.location.code, payload={"svg": "x" * (actions.MAX_PAYLOAD_BYTES + 1)})
    results = post(client, device, [kept, wrong, huge])
    assert results[0]["status"] == "applied"
    assert results[1]["reason"] == "payload must be a JSON object"
    assert results[2]["status"] == "rejected" and "256 KB" in results[2]["reason"]
    db.session.expire_all()
    stored = db.session.scalar(select(ScanRecord).where(ScanRecord.scan_uuid == kept["id"]))
    assert stored.payload == {"lot": "L1", "note": "ok"}


def test_a_registered_action_is_applied_once_with_its_subject(walk, device, scans):
    """A new flow's action: stored with subject_id/line_id, applied by its function once."""
    applied = []

    def apply(record):
        applied.append((record.subject_id, record.line_id, record.payload))
        return "done"

    actions.register("t-count", roles={"picker"}, needs=("subject_id",), apply=apply)
    try:
        task = walk["list"].tasks[0]
        client = walk["app"].test_client()
        scan = scans.make(task, "BIN-1", action="t-count", subject_id=7, line_id=3,
                          payload={"qty": 2})
        del scan["pick_list_id"], scan["task_id"]
        assert post(client, device, [scan])[0]["status"] == "applied"
        assert post(client, device, [scan])[0]["status"] == "duplicate"
        assert applied == [(7, 3, {"qty": 2})]
        missing = scans.make(task, "BIN-1", action="t-count")
        assert post(client, device, [missing])[0]["reason"] == "a t-count scan needs subject_id"
    finally:
        actions._ACTIONS.pop("t-count")


@pytest.mark.parametrize("extra, reason", [
    ({"payload": {"x": float("nan")}}, "payload must be plain JSON"),
    ({"pick_list_id": 10**30}, "pick_list_id is out of range"),
    ({"task_id": "\u00b2"}, "needs pick_list_id and task_id"),
    ({"user_id": -(10**20)}, "user_id is out of range")])
def test_fields_the_database_cannot_hold_are_rejected_not_a_500(walk, device, scans, extra,
                                                                 reason):
    """NaN (PostgreSQL's json refuses it), a number past the column, a superscript digit:
    the scan is rejected with its reason and the rest of the batch goes on."""
    task = walk["list"].tasks[0]
    bad, good = scans.make(task, task.location.code), scans.make(task, task.location.code)
    bad.update(extra)
    results = post(walk["app"].test_client(), device, [bad, good])
    assert results[0]["status"] == "rejected" and reason in results[0]["reason"]
    assert results[1]["status"] == "applied"
