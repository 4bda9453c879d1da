"""Tracking (售后跟踪): the polling job on a real worker, the signed webhook, cases."""
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from handoff_support import SIGNED, book_in_process, pack, pick_and_verify
from webapp.extensions import db
from webapp.handoff import handover, services, tracking
from webapp.handoff.jobs import poll_tracking
from webapp.handoff.models import AfterSalesCase, ParcelTracking, TrackingEvent
from webapp.orders.models import Order
from webapp.packing.carriers import builtin_outcome, builtin_timeline, s10_number
from webapp.packing.models import CarrierBooking, Parcel
from webapp.periodic import scheduler
from webapp.queues import queue, redis_connection
from webapp.timeutil import utcnow

COURIER = {"name": "李师傅", "company": "Built-in Express", "badge": "B-17"}
SECRET = "whsec-test-123"
OUTCOMES = {"address_wrong", "refused", "lost", "delivered"}


def first_serial_with_every_outcome(count):
    """The first serial from which `count` consecutive parcels end in every outcome."""
    for start in range(1, 10_000):
        if OUTCOMES <= {builtin_outcome(s10_number(start + i)) for i in range(count)}:
            return start
    raise AssertionError("no such run of serials")


def handed_over(make_planned, user_id, parcels, days_ago=0):
    """One order of `parcels` boxes, every outcome among them, handed over `days_ago`."""
    start = first_serial_with_every_outcome(parcels)
    db.session.add(CarrierBooking(carrier="builtin", idempotency_key="earlier-bookings",
                                  last_serial=start - 1, tracking_numbers=""))
    (order_id,) = pick_and_verify(make_planned, user_id, 1)
    shipment = book_in_process(pack(order_id, user_id, parcels).id)
    numbers = [p.tracking_number for p in shipment.parcels]
    manifest = services.open_manifest("builtin")
    for number in numbers:
        assert services.scan(manifest.id, number, user_id("courier")).ok
    handover.hand_over(manifest.id, user_id("packer"), COURIER, SIGNED,
                       when=utcnow() - timedelta(days=days_ago))
    db.session.commit()
    return order_id, numbers


def signed(body, secret=SECRET):
    """The X-Signature header a carrier sends with this body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- polling, on a real worker
def test_poll_job_on_a_real_worker_stores_each_event_once_and_opens_cases(
        sqlite_warehouse, make_planned, user_id, sqlite_url, run_worker):
    order_id, numbers = handed_over(make_planned, user_id, 10, days_ago=5)
    queue("default").empty()
    db.session.close()
    cron = scheduler(sqlite_warehouse, redis_connection())  # webapp/periodic.py, rq's cron
    assert "webapp.handoff.jobs.poll_tracking" in [j.func_name for j in cron.enqueue_jobs()]
    assert cron.enqueue_jobs() == []  # not due again for 5 minutes
    run_worker(sqlite_url, "default")
    queue("default").enqueue(poll_tracking)  # a second run (a scheduler restart) adds nothing
    run_worker(sqlite_url, "default")
    db.session.expire_all()
    expected = sum(len(builtin_timeline(n, utcnow())) for n in numbers)
    assert db.session.scalar(select(func.count()).select_from(TrackingEvent)) == expected
    outcomes = {n: builtin_outcome(n) for n in numbers}
    states = dict(db.session.execute(select(ParcelTracking.tracking_number,
                                            ParcelTracking.status)).all())
    for number, outcome in outcomes.items():
        # 5 days on: failed ones are back at the warehouse; lost ones fell silent.
        assert states[number] == {"delivered": "delivered", "address_wrong": "returned",
                                  "refused": "returned", "lost": "in_transit"}[outcome]
    cases = dict(db.session.execute(select(Parcel.tracking_number, AfterSalesCase.reason)
                                    .join(AfterSalesCase)).all())
    assert cases == {n: {"address_wrong": "returned", "refused": "returned",
                         "lost": "stuck"}[o] for n, o in outcomes.items() if o != "delivered"}
    assert all(c.order_id == order_id for c in db.session.scalars(select(AfterSalesCase)))


def test_poll_before_the_events_happen_stores_only_what_happened(warehouse, make_planned,
                                                                 user_id):
    _order_id, numbers = handed_over(make_planned, user_id, 10, days_ago=5 / 24)  # 5 hours
    poll_tracking()
    events = db.session.scalars(select(TrackingEvent)).all()
    assert sorted(e.code for e in events) == ["in_transit"] * 10 + ["picked_up"] * 10
    assert db.session.scalar(select(func.count()).select_from(AfterSalesCase)) == 0


def test_no_news_for_n_days_opens_a_stuck_case(warehouse, make_planned, user_id):
    _order_id, numbers = handed_over(make_planned, user_id, 10, days_ago=0)
    db.session.execute(update(ParcelTracking).values(handed_over_at=utcnow() - timedelta(days=4)))
    assert tracking.flag_stuck() == 10
    assert tracking.flag_stuck() == 0   # once per parcel while the case is open
    db.session.commit()


# ---------------------------------------------------------------- the webhook
@pytest.fixture
def hooked(warehouse, make_planned, user_id, monkeypatch):
    """A handed-over order, the built-in carrier's webhook secret set; (client, numbers)."""
    monkeypatch.setitem(warehouse.config, "CARRIER_WEBHOOK_SECRETS", {"builtin": SECRET})
    _order_id, numbers = handed_over(make_planned, user_id, 10)
    return warehouse.test_client(), numbers


def post(client, events, secret=SECRET, carrier="builtin", raw=None):
    """POST events to the webhook, signed with `secret`."""
    body = raw if raw is not None else json.dumps({"events": events}).encode()
    return client.post(f"/api/v1/carriers/{carrier}/events", data=body,
                       headers={"X-Signature": signed(body, secret),
                                "Content-Type": "application/json"})


def event(number, code, hours, key):
    """One event `hours` after now."""
    return {"tracking_number": number, "code": code, "event_id": key, "location": "杭州",
            "at": (utcnow() + timedelta(hours=hours)).isoformat()}


def test_webhook_stores_replays_once_and_orders_by_event_time(hooked):
    client, numbers = hooked
    late = event(numbers[0], "delivered", 5, "e-3")
    early = [event(numbers[0], "in_transit", 1, "e-1"), event(numbers[0], "out_for_delivery", 3,
                                                                "e-2")]
    assert post(client, [late]).get_json() == {"stored": 1, "duplicates": 0, "unknown": 0}
    answer = post(client, early + [late]).get_json()  # out of order, and a replay
    assert answer == {"stored": 2, "duplicates": 1, "unknown": 0}
    assert post(client, early + [late]).get_json()["duplicates"] == 3
    codes = [e.code for e in tracking.timeline(db.session.scalar(
        select(Parcel.id).where(Parcel.tracking_number == numbers[0])))]
    assert codes == ["in_transit", "out_for_delivery", "delivered"]
    state = db.session.scalar(select(ParcelTracking.status).where(
        ParcelTracking.tracking_number == numbers[0]))
    assert state == "delivered"   # the latest by event time, not by arrival


def test_webhook_failure_opens_one_case(hooked):
    client, numbers = hooked
    post(client, [event(numbers[1], "address_wrong", 2, "f-1")])
    post(client, [event(numbers[1], "address_wrong", 2, "f-1"),
                  event(numbers[1], "returned", 30, "f-2")])
    (case,) = db.session.scalars(select(AfterSalesCase)).all()
    assert case.reason == "address_wrong" and case.status == "open"


def test_webhook_refuses_bad_signatures_and_bodies(hooked, monkeypatch):
    client, numbers = hooked
    good = [event(numbers[0], "in_transit", 1, "x-1")]
    assert post(client, good, secret="wrong").status_code == 401
    body = json.dumps({"events": good}).encode()
    unsigned = client.post("/api/v1/carriers/builtin/events", data=body)
    assert unsigned.status_code == 401
    assert post(client, good, carrier="dhl").status_code == 404
    for raw in (b"not json", b"[]", b'{"events": 3}',
                json.dumps({"events": [{}] * 1001}).encode()):
        assert post(client, None, raw=raw).status_code == 400
    for bad in ({**good[0], "code": "teleported"}, {**good[0], "at": "yesterday"},
                {**good[0], "at": "2026-11-28T10:00:00"}, {**good[0], "event_id": ""}):
        answer = post(client, [bad])
        assert answer.status_code == 400 and answer.get_json()["error"]
    unknown = post(client, [event("WH000000000CN", "in_transit", 1, "u-1")])
    assert unknown.get_json() == {"stored": 0, "duplicates": 0, "unknown": 1}
    assert db.session.scalar(select(func.count()).select_from(TrackingEvent)) == 0
    monkeypatch.setitem(client.application.config, "CARRIER_WEBHOOK_SECRETS", {})
    assert post(client, good).status_code == 403


# ---------------------------------------------------------------- customer service
def test_customer_service_finds_orders_and_works_a_case(sqlite_warehouse, make_planned,
                                                        user_id, sign_in):
    order_id, numbers = handed_over(make_planned, user_id, 10, days_ago=5)
    poll_tracking()
    order = db.session.get(Order, order_id)
    client = sign_in(sqlite_warehouse.test_client(), "customer_service")
    home = client.get("/").get_data(as_text=True)
    open_cases = db.session.scalar(select(func.count()).select_from(AfterSalesCase))
    assert "/aftersales" in home and f'data-open-cases="{open_cases}"' in home and open_cases
    for query in (order.number, order.channel_order_no, numbers[3], numbers[3].lower(),
                  order.ship_name[:3], order.ship_phone, f"ORD{order.id:08d}"):
        page = client.get("/aftersales", query_string={"q": query}).get_data(as_text=True)
        assert f"/orders/{order.id}" in page, query
    assert "No order matches" in client.get("/aftersales?q=nobody-at-all").get_data(as_text=True)
    listing = client.get("/aftersales").get_data(as_text=True)
    case = db.session.scalars(select(AfterSalesCase).order_by(AfterSalesCase.id)).first()
    assert f"/aftersales/cases/{case.id}" in listing
    page = client.get(f"/aftersales/cases/{case.id}").get_data(as_text=True)
    assert case.parcel.tracking_number in page and 'data-event="picked_up"' in page
    client.post(f"/aftersales/cases/{case.id}/notes", data={"text": "客户确认新地址", "close": "1"})
    db.session.refresh(case)
    assert case.status == "closed" and case.notes[0].text == "客户确认新地址"
    assert client.post(f"/aftersales/cases/{case.id}/notes",
                       data={"text": "x" * 3000}).status_code == 302
    assert len(case.notes) == 1
    order_page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert numbers[0] in order_page and 'id="order-tracking"' in order_page
