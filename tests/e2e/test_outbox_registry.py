"""The outbox's copy registry in Chromium: a later flow keeps its copies in the shared
store, several actions share one copy, and its scans go out with subject, line and payload."""
import json

import pytest

pytestmark = pytest.mark.e2e


def test_a_registered_kind_keeps_its_copy_and_sends_its_fields(phone, login):
    """registerCopy: put/get/all/delete by kind, scans judged against the copy, the wire
    format carries subject_id, line_id and payload, counts are per copy of the kind."""
    login(phone, "picker")
    sent = []

    def answer(route):
        body = json.loads(route.request.post_data)
        sent.extend(body["scans"])
        route.fulfill(json={"results": [{"id": s["id"], "status": "applied", "reason": ""}
                                        for s in body["scans"]]})
    phone.route("**/api/v1/scans", answer)
    phone.wait_for_function("() => !!window.Outbox")
    result = phone.evaluate("""async () => {
        Outbox.registerCopy("t-receive", { kind: "t-receipt", key: "subject_id" });
        Outbox.registerCopy("t-inspect", { kind: "t-receipt", key: "subject_id" });
        Outbox.registerCopy("t-count", { kind: "t-count", key: "subject_id" });
        await Outbox.putCopy("t-receive", { subject_id: 5, lines: [{ line_id: 1, left: 2 }] });
        await Outbox.putCopy("t-count", { subject_id: 5, bins: [] });
        const judge = (copy, entry) => {
            const line = copy.lines[0];
            if (line.left < entry.quantity) return { ok: false, message: "Too many" };
            line.left -= entry.quantity;
            return { ok: true };
        };
        await Outbox.recordScan({ action: "t-receive", code: "A", quantity: 2, subject_id: 5,
                                  line_id: 1, payload: { lot: "L7" }, user_id: 9 }, judge);
        const refused = await Outbox.recordScan({ action: "t-inspect", code: "A", quantity: 1,
                                                  subject_id: 5, line_id: 1, user_id: 9 }, judge);
        const receipt = await Outbox.getCopy("t-inspect", 5);
        const counts = await Outbox.counts(5, "t-inspect");
        const otherKind = await Outbox.counts(5, "t-count");
        const receipts = (await Outbox.allCopies("t-receive")).map(c => c.copy_key);
        // The page's own sender may hold the lock (it kicks a send when it loads): a
        // busy answer means "someone else is at it", so ask again until we send.
        let state = await Outbox.send();
        for (let i = 0; state.status === "busy" && i < 50; i++) {
            await new Promise(r => setTimeout(r, 100));
            state = await Outbox.send();
        }
        const after = await Outbox.counts(5, "t-receive");
        await Outbox.deleteCopy("t-receive", 5);
        const gone = await Outbox.getCopy("t-receive", 5);
        const kept = await Outbox.getCopy("t-count", 5);
        return { left: receipt.lines[0].left, refused: refused.verdict.ok, counts, otherKind,
                 receipts, state: state.status, after, gone: gone === undefined,
                 kept: kept.copy_key };
    }""")
    assert result["left"] == 0 and result["refused"] is False
    assert result["counts"]["waiting"] == 2 and result["otherKind"]["waiting"] == 0
    assert result["receipts"] == ["t-receipt:5"]
    assert result["state"] in ("sent", "idle") and result["after"]["waiting"] == 0
    assert result["gone"] and result["kept"] == "t-count:5"
    assert [s["action"] for s in sent] == ["t-receive", "t-inspect"]
    first, second = sent
    assert (first["subject_id"], first["line_id"], first["payload"]) == (5, 1, {"lot": "L7"})
    assert second["refused"] == "Too many" and "payload" not in second
    assert phone.js_errors == []
