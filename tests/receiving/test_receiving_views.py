"""Receiving screens over HTTP: import, API (session and token), the handheld screens,
photos, closing, put-away, the 明细表 and 入库单 with their Code128 decoded."""
import io
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from receiving_support import SIG, SIGNED, ean, products
from webapp.accounts.services import register_device
from webapp.extensions import db
from webapp.receiving import putaway
from webapp.receiving.models import InspectionPhoto, PutawayRun, Receipt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "outbound"))
from outbound_support import barcode_bars, decode_code128, svg_documents  # noqa: E402

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 300


@pytest.fixture
def receiver(sqlite_warehouse, sign_in):
    """A client signed in as the demo receiver."""
    return sign_in(sqlite_warehouse.test_client(), "receiver")


@pytest.fixture
def supervisor(sqlite_warehouse, sign_in):
    """A client signed in as the demo supervisor."""
    return sign_in(sqlite_warehouse.test_client(), "supervisor")


def test_csv_upload_reports_each_receipt_and_its_bad_lines(supervisor):
    p1, p2 = products(2)
    data = ("source,reference,sku,quantity\n"
            f"purchase,PO-1,{p1.sku},4\npurchase,PO-1,GHOST,2\nproduction,MO-1,{p2.sku},3\n")
    response = supervisor.post("/receipts/import", data={
        "file": (io.BytesIO(data.encode()), "receipts.csv")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 207
    assert page.count('data-outcome="held"') == 1 and page.count('data-outcome="created"') == 1
    assert "line 2: unknown SKU &#39;GHOST&#39;" in page
    again = supervisor.post("/receipts/import", data={
        "file": (io.BytesIO(data.encode()), "receipts.csv")},
        content_type="multipart/form-data")
    assert again.get_data(as_text=True).count('data-outcome="duplicate"') == 2
    bad = supervisor.post("/receipts/import", data={"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
                          content_type="multipart/form-data")
    assert bad.status_code == 422 and "missing columns" in bad.get_data(as_text=True)


def test_api_takes_receipts_with_a_device_token_or_a_session(sqlite_warehouse, supervisor,
                                                              sign_in):
    (p1,) = products(1)
    device, token = register_device("ERP", roles=["supervisor"])
    db.session.commit()
    client = sqlite_warehouse.test_client()
    body = {"source": "purchase", "reference": "PO-API", "lines": [{"sku": p1.sku,
                                                                    "quantity": 2}]}
    created = client.post("/api/v1/receipts", json=body,
                          headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201
    assert created.get_json()["results"][0]["number"].startswith("RCP")
    again = supervisor.post("/api/v1/receipts", json={"receipts": [body]})
    assert again.status_code == 200 and again.get_json()["results"][0]["outcome"] == "duplicate"
    assert client.post("/api/v1/receipts", json=body).status_code in (302, 401)
    assert client.post("/api/v1/receipts", json=body,
                       headers={"Authorization": "Bearer nope"}).status_code == 401
    receiver = sign_in(sqlite_warehouse.test_client(), "receiver")
    assert receiver.post("/api/v1/receipts", json=body).status_code == 403
    assert supervisor.post("/api/v1/receipts", data="[]",
                           content_type="application/json").status_code == 400
    assert supervisor.post("/api/v1/receipts", json={"receipts": [body] * 201}).status_code == 413
    assert supervisor.post("/api/v1/receipts", json={"x": 1}).status_code == 422


def test_openapi_describes_the_receipts_api(sqlite_warehouse):
    from openapi_spec_validator import validate
    spec = sqlite_warehouse.test_client().get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert "/api/v1/receipts" in spec["paths"]
    assert {"receive", "putaway"} <= set(spec["components"]["schemas"]["Scan"]["properties"]
                                         ["action"]["enum"])


def test_receiver_home_shows_todays_work(receiver, receipt):
    (p1,) = products(1)
    receipt([(p1.sku, 2)])
    page = receiver.get("/").get_data(as_text=True)
    assert "/receiving" in page and "1 expected today" in page


def test_receiving_on_the_handheld_end_to_end(receiver, receipt):
    receive_close_and_put_away(receiver, receipt)


def receive_close_and_put_away(receiver, receipt):
    """The receiver's walk over HTTP; returns the receipt id."""
    p1, p2 = products(2)
    receipt_id = receipt([(p1.sku, 2), (p2.sku, 1)])
    number = db.session.get(Receipt, receipt_id).number
    opened = receiver.get(f"/receiving?code={number}")
    assert opened.status_code == 302 and opened.location.endswith(f"/receiving/{receipt_id}")
    page = receiver.get(f"/receiving/{receipt_id}").get_data(as_text=True)
    assert 'data-received="0" data-expected="2"' in page
    ok = receiver.post(f"/receiving/{receipt_id}/scan", data={"code": ean(p1), "qty": "2"})
    assert 'data-feedback="ok"' in ok.get_data(as_text=True)
    over = receiver.post(f"/receiving/{receipt_id}/scan", data={"code": ean(p1)})
    text = over.get_data(as_text=True)
    assert 'data-feedback="bad"' in text and 'id="accept-form"' in text
    no_reason = receiver.post(f"/receiving/{receipt_id}/accept", data={"code": ean(p1),
                                                                      "qty": "1"})
    assert 'data-feedback="bad"' in no_reason.get_data(as_text=True)
    accepted = receiver.post(f"/receiving/{receipt_id}/accept", data={
        "code": ean(p1), "qty": "1", "note": "spare from supplier"})
    assert 'data-feedback="ok"' in accepted.get_data(as_text=True)
    line_id = db.session.get(Receipt, receipt_id).lines[1].id
    failed = receiver.post(f"/receiving/{receipt_id}/fail", data={
        "line_id": line_id, "qty": "1", "reason": "damaged", "note": "torn",
        "photo": (io.BytesIO(JPEG), "p.jpg", "image/jpeg")}, content_type="multipart/form-data")
    assert "残品库" in failed.get_data(as_text=True)
    bad_photo = receiver.post(f"/receiving/{receipt_id}/fail", data={
        "line_id": line_id, "qty": "1", "reason": "damaged",
        "photo": (io.BytesIO(b"<html>"), "p.jpg", "image/jpeg")},
        content_type="multipart/form-data")
    assert "JPEG, PNG or WebP" in bad_photo.get_data(as_text=True)
    photo = db.session.scalar(select(InspectionPhoto))
    served = receiver.get(f"/receiving/photos/{photo.id}")
    assert served.data == JPEG and served.mimetype == "image/jpeg"
    shown = receiver.get(f"/receipts/{receipt_id}").get_data(as_text=True)
    assert f'src="/receiving/photos/{photo.id}"' in shown and "torn" in shown
    refused = receiver.post(f"/receiving/{receipt_id}/close", data={
        "delivered_by": "", "company": "", **SIGNED})
    assert refused.status_code == 422
    unsigned = receiver.post(f"/receiving/{receipt_id}/close", data={
        "delivered_by": "Wang Wu", "company": "SF Freight", "receiver_svg": SIG,
        "deliverer_svg": ""})
    assert unsigned.status_code == 422 and db.session.get(Receipt, receipt_id).status == \
        "receiving"
    scripted = receiver.post(f"/receiving/{receipt_id}/close", data={
        "delivered_by": "Wang Wu", "company": "SF Freight", "receiver_svg": SIG,
        "deliverer_svg": SIG.replace("<svg ", '<svg onload="alert(1)" ')})
    assert scripted.status_code == 422
    closed = receiver.post(f"/receiving/{receipt_id}/close", data={
        "delivered_by": "Wang Wu", "company": "SF Freight", **SIGNED})
    assert closed.status_code == 302 and "/putaway/" in closed.location
    row = db.session.get(Receipt, receipt_id)
    assert row.status == "received" and row.delivered_company == "SF Freight"
    run = db.session.scalar(select(PutawayRun))
    assert run.job_id or run.status == "failed"
    polling = receiver.get(f"/putaway/{run.id}/status").get_data(as_text=True)
    assert 'hx-trigger="load delay:1s"' in polling
    putaway.plan(run)
    db.session.commit()
    task = sorted(run.tasks, key=lambda t: (t.walk, t.sequence))[0]
    screen = receiver.get(f"/putaway/{run.id}").get_data(as_text=True)
    assert task.suggested.code in screen and "load delay" not in screen
    wrong = receiver.post(f"/putaway/{run.id}/scan", data={"code": ean(task.product)})
    assert 'data-feedback="bad"' in wrong.get_data(as_text=True)
    for code in (task.suggested.code, ean(task.product)):
        answer = receiver.post(f"/putaway/{run.id}/scan", data={"code": code})
        assert 'data-feedback="ok"' in answer.get_data(as_text=True)
    return receipt_id


def test_the_printed_list_and_the_grn_carry_a_readable_code128(receiver, receipt):
    receipt_id = receive_close_and_put_away(receiver, receipt)
    number = db.session.get(Receipt, receipt_id).number
    for url in (f"/receipts/{receipt_id}/list", f"/receipts/{receipt_id}/grn"):
        page = receiver.get(url).get_data(as_text=True)
        (bars,) = [b for svg in svg_documents(page) for b in barcode_bars(svg)]
        assert decode_code128(bars) == number
    grn = receiver.get(f"/receipts/{receipt_id}/grn").get_data(as_text=True)
    assert "Wang Wu" in grn and "SF Freight" in grn and "+1" in grn
    assert grn.count('class="signature-image" src="data:image/svg+xml;base64,') == 2
    download = receiver.get(f"/receipts/{receipt_id}/grn.svg")
    assert download.mimetype == "image/svg+xml" and "attachment" in download.headers[
        "Content-Disposition"]
    document = download.get_data(as_text=True)
    (bars,) = barcode_bars(document)
    assert decode_code128(bars) == number
    assert document.count('href="data:image/svg+xml;base64,') == 2 and "Wang Wu" in document


def test_wrong_roles_are_refused(sqlite_warehouse, sign_in, receipt):
    (p1,) = products(1)
    receipt_id = receipt([(p1.sku, 2)])
    picker = sign_in(sqlite_warehouse.test_client(), "picker")
    assert picker.get("/receiving").status_code == 403
    assert picker.post(f"/receiving/{receipt_id}/scan", data={"code": "x"}).status_code == 403
    receiver = sign_in(sqlite_warehouse.test_client(), "receiver")
    assert receiver.get("/receipts/import").status_code == 403
    assert receiver.post(f"/receipts/{receipt_id}/cancel").status_code == 403


def test_the_console_has_a_receiving_tile(supervisor, receipt, user_id):
    p1, p2 = products(2)
    receipt([(p1.sku, 2)], reference="PO-T1")
    started = receipt([(p2.sku, 3)], reference="PO-T2")
    from webapp.receiving import services
    services.scan(started, user_id("receiver"), p2.sku, 2, outcome="fail", reason="damaged")
    db.session.commit()
    page = supervisor.get("/console/tiles/receiving").get_data(as_text=True)
    assert 'data-stage="expected">' in page and 'data-count="1" data-stage="expected"' in page
    assert 'data-count="1" data-stage="receiving"' in page
    assert 'data-failed="2"' in page
    assert "/console/tiles/receiving" in supervisor.get("/").get_data(as_text=True)


def test_a_put_away_of_units_gone_from_the_dock_is_told_not_a_500(receiver, receipt):
    """The receiving area no longer holds the task's units (taken by an adjustment, a
    count): the put-away screen says why the move cannot be made, keeps the task, and
    moves nothing (the sync path already made it a conflict; the screen answered 500)."""
    from webapp.catalog.models import StockMovement
    from webapp.catalog.stock import ledger_mismatches, move_stock, on_hand
    p1, = products(1)
    receipt_id = receipt([(p1.sku, 2)])
    assert receiver.post(f"/receiving/{receipt_id}/scan",
                         data={"code": ean(p1), "qty": "2"}).status_code == 200
    assert receiver.post(f"/receiving/{receipt_id}/close", data={
        "delivered_by": "Wang Wu", "company": "SF Freight", **SIGNED}).status_code == 302
    run = db.session.scalar(select(PutawayRun))
    putaway.plan(run)
    db.session.commit()
    task = run.tasks[0]
    dock = db.session.scalar(select(StockMovement.to_location_id).where(
        StockMovement.reason == "receipt", StockMovement.product_id == p1.id))
    move_stock(p1.id, on_hand(p1.id, dock), reason="adjustment", from_location_id=dock)
    db.session.commit()
    bin_scan = receiver.post(f"/putaway/{run.id}/scan", data={"code": task.suggested.code})
    assert 'data-feedback="ok"' in bin_scan.get_data(as_text=True)
    item = receiver.post(f"/putaway/{run.id}/scan", data={"code": ean(p1)})
    assert item.status_code == 200  # before: 500
    text = item.get_data(as_text=True)
    assert 'data-feedback="bad"' in text and "The receiving area no longer holds" in text
    db.session.expire_all()
    assert db.session.get(type(task), task.id).status == "pending"
    assert db.session.scalar(select(StockMovement).where(
        StockMovement.reason == "putaway")) is None
    assert ledger_mismatches() == []
