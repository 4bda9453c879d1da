"""Customer service's and the receiver's screens: status codes, redirects, fragments,
and bad input answered with its reason (never a 500)."""
import io

import pytest
from sqlalchemy import select

from returns_support import JPEG, code_of, order_in, stocked, tracking_of
from webapp.extensions import db
from webapp.receiving.models import PutawayRun
from webapp.returns.models import ReturnRequest


@pytest.fixture
def shipped(sqlite_warehouse, user_id):
    """A handed-over order of 2 units of one product (and its product)."""
    (p1,) = stocked(1)
    return order_in([(p1.sku, 2)], user_id=user_id), p1


def log_return(client, order, **form):
    """POST the return form for the order's first line."""
    line = order.lines[0]
    data = {"qty-%d" % line.id: "2", "reason": "damaged_in_transit", "resolution": "exchange",
            **form}
    return client.post(f"/returns/new/{order.id}", data=data,
                       content_type="multipart/form-data")


def test_customer_service_finds_the_order_by_phone_and_logs_a_return(shipped, sign_in, app):
    order, _p1 = shipped
    client = sign_in(app.test_client(), "customer_service")
    page = client.get("/returns?q=13911112222")
    assert page.status_code == 200 and f"/returns/new/{order.id}".encode() in page.data
    assert client.get(f"/returns?q={tracking_of(order)}").data.count(b"data-order=") == 1
    form = client.get(f"/returns/new/{order.id}")
    assert form.status_code == 200 and b'id="return-form"' in form.data
    answer = log_return(client, order, photo=(io.BytesIO(JPEG), "box.jpg"))
    assert answer.status_code == 302
    rma = db.session.scalar(select(ReturnRequest))
    assert answer.headers["Location"].endswith(f"/returns/{rma.id}")
    shown = client.get(f"/returns/{rma.id}")
    assert shown.status_code == 200 and b'data-to="requested"' in shown.data
    assert rma.number.encode() in client.get("/returns").data  # my open returns
    photo = client.get(f"/returns/photos/{rma.photos[0].id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    label = client.get(f"/returns/{rma.id}/label")
    assert label.status_code == 200 and f'aria-label="{rma.number}"'.encode() in label.data
    assert client.post(f"/returns/{rma.id}/label-sent").status_code == 302
    assert db.session.get(ReturnRequest, rma.id).status == "awaiting_arrival"
    home = client.get("/")
    assert b'id="home-returns"' in home.data and b"/returns" in home.data


def test_bad_return_forms_are_refused_with_the_reason(shipped, sign_in, app):
    order, _p1 = shipped
    client = sign_in(app.test_client(), "customer_service")
    for form, message in (({"qty-%d" % order.lines[0].id: "9"}, b"at most 2"),
                          ({"qty-%d" % order.lines[0].id: "two"}, b"whole number"),
                          ({"reason": "nonsense"}, b"why the customer"),
                          ({"photo": (io.BytesIO(b"not an image"), "x.gif")}, b"JPEG, PNG")):
        answer = log_return(client, order, **form)
        assert answer.status_code == 422 and message in answer.data, form
    assert db.session.scalar(select(ReturnRequest.id)) is None
    assert client.get("/returns/new/999999").status_code == 404


def test_an_order_not_handed_over_shows_why_no_return(sqlite_warehouse, sign_in, app, user_id):
    (p1,) = stocked(1)
    order = order_in([(p1.sku, 1)], state="new", user_id=user_id)
    client = sign_in(app.test_client(), "customer_service")
    page = client.get(f"/returns/new/{order.id}")
    assert page.status_code == 200 and b'id="return-refused"' in page.data
    assert b"never handed over" in page.data
    assert log_return(client, order).status_code == 422


def test_the_receiver_scans_in_inspects_and_is_sent_to_put_away(shipped, sign_in, app):
    order, p1 = shipped
    service = sign_in(app.test_client(), "customer_service")
    log_return(service, order)
    rma = db.session.scalar(select(ReturnRequest))
    dock = sign_in(app.test_client(), "receiver")
    assert dock.get("/returns/dock").status_code == 200
    found = dock.get(f"/returns/dock?code={tracking_of(order)}")
    assert found.headers["Location"].endswith(f"/returns/dock/{rma.id}")
    assert b"No return for" in dock.get("/returns/dock?code=XYZ", follow_redirects=True).data
    assert dock.get(f"/returns/dock/{rma.id}").status_code == 200
    ok = dock.post(f"/returns/dock/{rma.id}/scan", data={"code": code_of(p1.id)})
    assert b'data-feedback="ok"' in ok.data and b'id="return-dock-lines"' in ok.data
    bad = dock.post(f"/returns/dock/{rma.id}/fail", data={
        "code": p1.sku, "reason": "damaged", "photo": (io.BytesIO(b"GIF89a..."), "a.gif")},
        content_type="multipart/form-data")
    assert b'data-feedback="bad"' in bad.data and b"JPEG, PNG or WebP" in bad.data
    failed = dock.post(f"/returns/dock/{rma.id}/fail", data={
        "code": p1.sku, "reason": "damaged", "photo": (io.BytesIO(JPEG), "a.jpg")},
        content_type="multipart/form-data")
    assert b'data-feedback="ok"' in failed.data
    finished = dock.post(f"/returns/dock/{rma.id}/finish")
    run = db.session.scalar(select(PutawayRun).where(PutawayRun.source_kind == "return"))
    assert finished.headers["Location"].endswith(f"/putaway/{run.id}")
    walk = dock.get(f"/putaway/{run.id}")
    assert walk.status_code == 200 and rma.number.encode() in walk.data
    assert dock.post(f"/returns/dock/{rma.id}/scan", data={"code": "x"}).status_code == 200
    timeline = service.get(f"/returns/{rma.id}").data
    assert b'data-to="received"' in timeline and b'data-to="inspected"' in timeline
    exchanged = service.post(f"/returns/{rma.id}/exchange", follow_redirects=True)
    assert b'id="replacement-order"' in exchanged.data
    closed = service.post(f"/returns/{rma.id}/close", follow_redirects=True)
    assert b'data-status="closed"' in closed.data
    again = service.post(f"/returns/{rma.id}/close", follow_redirects=True)
    assert again.status_code == 200 and b"cannot go" in again.data


def test_the_console_tile_counts_returns_by_stage(shipped, sign_in, app):
    order, _p1 = shipped
    log_return(sign_in(app.test_client(), "customer_service"), order)
    boss = sign_in(app.test_client(), "supervisor")
    tile = boss.get("/console/tiles/returns")
    assert tile.status_code == 200 and b'data-stage="expected"' in tile.data
    assert b'data-count="1" data-stage="expected"' in tile.data
