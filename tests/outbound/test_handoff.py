"""Courier handoff (交接): manifests, refusals, partial handoff, signing, the 交接单."""
import base64
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handoff_support import (DRAWING, SIGNED, book_in_process, pack, packed_and_booked,
                             pick_and_verify)
from outbound_support import barcode_bars, decode_code128
from webapp.extensions import db
from webapp.handoff import handover, services
from webapp.handoff.models import Manifest, ManifestParcel, ParcelTracking
from webapp.orders.models import Order, OrderEvent, OrderException
from webapp.orders.services import cancel_order
from webapp.packing.models import CarrierBooking, Parcel, Shipment
from webapp.signatures.models import Signature
from webapp.timeutil import utcnow

COURIER = {"name": "王师傅", "company": "Built-in Express", "badge": "13900001111"}


def manifest_of(number):
    """The manifest a tracking number is expected or scanned on now."""
    return db.session.scalar(select(Manifest).join(ManifestParcel).join(Parcel).where(
        Parcel.tracking_number == number, ManifestParcel.status.in_(("expected", "scanned"))))


def order_of(number):
    """The order of a tracking number."""
    return db.session.scalar(select(Order).join(Shipment).join(Parcel)
                             .where(Parcel.tracking_number == number))


# ---------------------------------------------------------------- membership
def test_booked_parcels_join_one_open_manifest_per_carrier(warehouse, make_planned, user_id):
    numbers = packed_and_booked(make_planned, user_id, 2, parcels=2)
    assert len(numbers) == 4
    manifests = {manifest_of(n).id for n in numbers}
    assert len(manifests) == 1
    manifest = db.session.get(Manifest, manifests.pop())
    assert manifest.status == "open" and manifest.carrier == "builtin"
    assert services.counts(manifest) == {"expected": 4, "scanned": 0, "missing": 4}


def test_booking_again_does_not_add_the_parcels_twice(warehouse, make_planned, user_id):
    (number,) = packed_and_booked(make_planned, user_id, 1)
    shipment = order_of(number) and db.session.scalar(
        select(Shipment).join(Parcel).where(Parcel.tracking_number == number))
    services.add_shipment(shipment.id)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ManifestParcel)) == 1


def test_closed_manifest_and_daily_cutoff_start_the_next(warehouse, make_planned, user_id):
    first, second, third = pick_and_verify(make_planned, user_id, 3)
    (a,) = [p.tracking_number for p in book_in_process(pack(first, user_id).id).parcels]
    services.close_manifest(manifest_of(a).id, user_id("supervisor"))
    db.session.commit()
    (b,) = [p.tracking_number for p in book_in_process(pack(second, user_id).id).parcels]
    assert manifest_of(b).id != manifest_of(a).id and manifest_of(a).status == "closed"
    services.set_daily_cutoff("builtin", "17:00")
    manifest_of(b).cutoff_at = utcnow() - timedelta(minutes=1)  # today's cut-off passed
    db.session.commit()
    (c,) = [p.tracking_number for p in book_in_process(pack(third, user_id).id).parcels]
    assert manifest_of(c).id not in (manifest_of(a).id, manifest_of(b).id)
    assert manifest_of(b).status == "closed"
    assert manifest_of(c).cutoff_at is not None
    with pytest.raises(services.HandoffError):
        services.set_daily_cutoff("builtin", "25:99")


# ---------------------------------------------------------------- scanning and refusals
def test_scan_counts_and_refuses_with_the_reason(warehouse, make_planned, user_id):
    numbers = packed_and_booked(make_planned, user_id, 3)
    manifest = manifest_of(numbers[0])
    courier = user_id("courier")
    outcome = services.scan(manifest.id, f" {numbers[0].lower()}\r\n", courier)
    assert outcome.ok and "1 of 3" in outcome.message
    again = services.scan(manifest.id, numbers[0], courier)
    assert not again.ok and again.kind == "duplicate"
    unknown = services.scan(manifest.id, "WH999999999CN", courier)
    assert not unknown.ok and "Unknown parcel" in unknown.message
    assert not services.scan(manifest.id, "x" * 500, courier).ok
    cancel_order(order_of(numbers[1]).id, user_id("supervisor"), "customer changed mind")
    db.session.commit()
    cancelled = services.scan(manifest.id, numbers[1], courier)
    assert not cancelled.ok and "cancelled" in cancelled.message
    db.session.commit()
    assert services.counts(db.session.get(Manifest, manifest.id)) == {
        "expected": 2, "scanned": 1, "missing": 1}


def test_a_parcel_of_another_carrier_is_refused(warehouse, make_planned, user_id):
    (number,) = packed_and_booked(make_planned, user_id, 1)
    manifest = manifest_of(number)
    other = Manifest(carrier="yto", status="open", pickup_date=utcnow().date())
    db.session.add(other)
    db.session.commit()
    outcome = services.scan(other.id, number, user_id("courier"))
    assert not outcome.ok and "not yto" in outcome.message
    assert manifest_of(number).id == manifest.id


def test_cancelling_a_packed_order_withdraws_the_booking_and_tells_the_supervisor(
        warehouse, make_planned, user_id):
    (number,) = packed_and_booked(make_planned, user_id, 1)
    order = order_of(number)
    cancel_order(order.id, user_id("supervisor"))
    db.session.commit()
    assert order.status == "cancelled"
    assert db.session.scalar(select(CarrierBooking.status)) == "cancelled"
    member = db.session.scalar(select(ManifestParcel))
    assert member.status == "withdrawn"
    (exception,) = db.session.scalars(select(OrderException).where(
        OrderException.order_id == order.id)).all()
    assert exception.kind == "cancelled_packed" and "1 parcel" in exception.message


# ---------------------------------------------------------------- signing
def test_partial_handoff_moves_the_missing_parcel_on_and_hands_over_the_rest(
        warehouse, make_planned, user_id):
    numbers = packed_and_booked(make_planned, user_id, 3)
    manifest = manifest_of(numbers[0])
    clerk = user_id("packer")
    for number in numbers[:2]:
        assert services.scan(manifest.id, number, clerk).ok
    handover.hand_over(manifest.id, clerk, COURIER, SIGNED)
    db.session.commit()

    assert manifest.status == "signed" and manifest.courier_name == "王师傅"
    nxt = manifest_of(numbers[2])
    assert nxt.id != manifest.id and nxt.status == "open"
    moved = db.session.scalar(select(ManifestParcel).where(
        ManifestParcel.manifest_id == manifest.id, ManifestParcel.status == "moved"))
    assert nxt.code in moved.note
    carried = db.session.scalar(select(ManifestParcel).where(ManifestParcel.manifest_id == nxt.id))
    assert manifest.code in carried.note and carried.status == "expected"
    for number in numbers[:2]:
        order = order_of(number)
        assert order.status == "handed_over"
        event = order.events[-1]
        assert event.to_status == "handed_over" and event.user_id == clerk
        assert manifest.code in event.note
        assert db.session.get(ParcelTracking, db.session.scalar(
            select(Parcel.id).where(Parcel.tracking_number == number))) is not None
    assert order_of(numbers[2]).status == "packed"


def test_an_order_is_handed_over_only_with_all_its_parcels(warehouse, make_planned, user_id):
    first, second = packed_and_booked(make_planned, user_id, 1, parcels=2)
    manifest = manifest_of(first)
    services.scan(manifest.id, first, user_id("packer"))
    handover.hand_over(manifest.id, user_id("packer"), COURIER, SIGNED)
    db.session.commit()
    assert order_of(first).status == "packed"
    nxt = manifest_of(second)
    services.scan(nxt.id, second, user_id("packer"))
    handover.hand_over(nxt.id, user_id("packer"), COURIER, SIGNED)
    db.session.commit()
    assert order_of(first).status == "handed_over"


def test_a_signed_manifest_cannot_change(warehouse, make_planned, user_id):
    numbers = packed_and_booked(make_planned, user_id, 2)
    manifest = manifest_of(numbers[0])
    services.scan(manifest.id, numbers[0], user_id("packer"))
    handover.hand_over(manifest.id, user_id("packer"), COURIER, SIGNED)
    db.session.commit()
    refused = services.scan(manifest.id, numbers[1], user_id("packer"))
    assert not refused.ok and "signed" in refused.message
    with pytest.raises(services.HandoffError, match="already signed"):
        handover.hand_over(manifest.id, user_id("packer"), COURIER, SIGNED)
    with pytest.raises(services.HandoffError):
        services.close_manifest(manifest.id, user_id("supervisor"))
    # Handed over already: another manifest refuses the parcel too.
    nxt = manifest_of(numbers[1])
    again = services.scan(nxt.id, numbers[0], user_id("packer"))
    assert not again.ok and manifest.code in again.message


@pytest.mark.parametrize("courier, message", [
    ({"name": "", "company": "X", "badge": "1"}, "name and company"),
    ({"name": "A", "company": "X", "badge": " "}, "badge"),
    ({"name": "A" * 121, "company": "X", "badge": "1"}, "too long")])
def test_signing_needs_the_courier_and_a_scanned_parcel(warehouse, make_planned, user_id,
                                                         courier, message):
    (number,) = packed_and_booked(make_planned, user_id, 1)
    manifest = manifest_of(number)
    with pytest.raises(services.HandoffError, match="at least one"):
        handover.hand_over(manifest.id, user_id("packer"), COURIER, SIGNED)
    services.scan(manifest.id, number, user_id("packer"))
    with pytest.raises(services.HandoffError, match=message):
        handover.hand_over(manifest.id, user_id("packer"), courier, SIGNED)


@pytest.mark.parametrize("signatures, message", [
    ({**SIGNED, "courier_svg": ""}, "sign in the box"),
    ({**SIGNED, "warehouse_name": " "}, "name"),
    ({**SIGNED, "warehouse_svg": DRAWING.replace("<circle", "<script>alert(1)</script><circle")},
     "not allowed")])
def test_both_sides_must_sign_with_a_clean_drawing(warehouse, make_planned, user_id,
                                                   signatures, message):
    (number,) = packed_and_booked(make_planned, user_id, 1)
    manifest_id = manifest_of(number).id
    services.scan(manifest_id, number, user_id("packer"))
    db.session.commit()
    with pytest.raises(services.HandoffError, match=message):
        handover.hand_over(manifest_id, user_id("packer"), COURIER, signatures)
    db.session.rollback()
    assert db.session.get(Manifest, manifest_id).status == "open"
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    assert order_of(number).status == "packed"


# ---------------------------------------------------------------- screens and the 交接单
def test_courier_scans_signs_and_prints_on_screen(sqlite_warehouse, make_planned, user_id,
                                                 sign_in):
    numbers = packed_and_booked(make_planned, user_id, 3)
    manifest_id = manifest_of(numbers[0]).id
    client = sign_in(sqlite_warehouse.test_client(), "courier")
    home = client.get("/").get_data(as_text=True)
    assert f"/handoff/manifests/{manifest_id}" in home and "0 of 3 scanned" in home
    listing = client.get("/handoff").get_data(as_text=True)
    assert f"MF{manifest_id:08d}" in listing
    page = client.get(f"/handoff/manifests/{manifest_id}").get_data(as_text=True)
    assert 'id="manifest"' in page and 'data-expected="3"' in page
    answer = client.post(f"/handoff/manifests/{manifest_id}/scan", data={"code": numbers[0]})
    fragment = answer.get_data(as_text=True)
    assert 'data-feedback="ok"' in fragment and 'data-scanned="1"' in fragment
    bad = client.post(f"/handoff/manifests/{manifest_id}/scan", data={"code": "NOPE"})
    assert 'data-feedback="bad"' in bad.get_data(as_text=True)
    client.post(f"/handoff/manifests/{manifest_id}/scan", data={"code": numbers[1]})
    form = {**{f"courier_{k}": v for k, v in COURIER.items()}, **SIGNED}
    unsigned = client.post(f"/handoff/manifests/{manifest_id}/sign",
                           data={**form, "courier_svg": ""})
    assert unsigned.location.endswith(f"/handoff/manifests/{manifest_id}")
    assert db.session.get(Manifest, manifest_id).status == "open"
    signed = client.post(f"/handoff/manifests/{manifest_id}/sign", data=form)
    assert signed.status_code == 302 and signed.location.endswith("/document")
    stored = {s.signer_role: s for s in db.session.scalars(select(Signature))}
    assert stored["courier"].signer_name == COURIER["name"]
    assert stored["courier"].signer_company == COURIER["company"]
    assert stored["warehouse"].signer_name == SIGNED["warehouse_name"]
    html = client.get(f"/handoff/manifests/{manifest_id}/document").get_data(as_text=True)
    assert "交接单" in html and COURIER["name"] in html
    svg = client.get(f"/handoff/manifests/{manifest_id}/document.svg?page=1")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    images = re.findall(r'<image [^>]*data-signer="(\w+)" href="data:image/svg\+xml;base64,'
                        r'([^"]+)"', svg.get_data(as_text=True))
    assert sorted(role for role, _data in images) == ["courier", "warehouse"]
    for _role, data in images:
        drawing = base64.b64decode(data).decode()
        assert "M 20.000,40.000" in drawing or "M20" in drawing.replace(" ", "")
    decoded = {decode_code128(bars) for bars in barcode_bars(svg.get_data(as_text=True))}
    assert decoded == {f"MF{manifest_id:08d}", *numbers}  # two handed over, one moved on
    for bad_page in ("0", "2", "x", "9" * 30):
        assert client.get(f"/handoff/manifests/{manifest_id}/document.svg?page={bad_page}"
                          ).status_code == 404
    # The screen of a signed manifest is its 交接单; posting again changes nothing.
    assert client.get(f"/handoff/manifests/{manifest_id}").status_code == 302
    again = client.post(f"/handoff/manifests/{manifest_id}/sign", data=form)
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 2
    assert db.session.scalar(select(func.count()).select_from(OrderEvent).where(
        OrderEvent.to_status == "handed_over")) == 2


def test_only_handoff_roles_reach_the_screens(sqlite_warehouse, sign_in):
    picker = sign_in(sqlite_warehouse.test_client(), "picker")
    assert picker.get("/handoff").status_code == 403
    assert picker.get("/aftersales").status_code == 403
    service = sign_in(sqlite_warehouse.test_client(), "customer_service")
    assert service.get("/handoff").status_code == 403
    assert service.get("/aftersales").status_code == 200
    assert service.post("/handoff/cutoffs", data={"carrier": "builtin"}).status_code == 403


# ---------------------------------------------------------------- booking idempotency
def test_a_retried_booking_job_never_books_twice(sqlite_warehouse, make_planned, user_id,
                                                 sign_in, sqlite_url, run_worker):
    from webapp.queues import queue
    queue("packing").empty()
    (order_id,) = pick_and_verify(make_planned, user_id, 1)
    client = sign_in(sqlite_warehouse.test_client(), "packer")
    box = {"weight_g": "900", "length_mm": "300", "width_mm": "200", "height_mm": "100"}
    assert client.post(f"/packing/orders/{order_id}/pack",
                       data={k: [v, v] for k, v in box.items()}).status_code == 302
    shipment_id = db.session.scalar(select(Shipment.id).where(Shipment.order_id == order_id))
    db.session.commit()
    db.session.close()
    run_worker(sqlite_url, "packing")
    first = [p.tracking_number for p in db.session.get(Shipment, shipment_id).parcels]
    assert len(first) == 2 and all(first)
    # The first run booked with the carrier but its own commit was lost (worker killed):
    # the parcels hold no numbers, the shipment failed; the packer retries.
    shipment = db.session.get(Shipment, shipment_id)
    for parcel in shipment.parcels:
        parcel.tracking_number, parcel.label_svg = None, None
    db.session.execute(ManifestParcel.__table__.delete())
    shipment.status = "failed"
    db.session.commit()
    assert client.post(f"/packing/orders/{order_id}/shipment/retry").status_code == 200
    db.session.close()
    run_worker(sqlite_url, "packing")
    shipment = db.session.get(Shipment, shipment_id)
    assert shipment.status == "booked"
    assert [p.tracking_number for p in shipment.parcels] == first
    assert db.session.scalar(select(func.count()).select_from(CarrierBooking)) == 1
    assert db.session.scalar(select(func.count()).select_from(ManifestParcel)) == 2


# ---------------------------------------------------------------- the supervisor's console
def test_console_tile_shows_waiting_manifests_and_cases(sqlite_warehouse, make_planned,
                                                        user_id, sign_in):
    from webapp.handoff.tiles import handoff_tile
    numbers = packed_and_booked(make_planned, user_id, 3)
    manifest = manifest_of(numbers[0])
    services.scan(manifest.id, numbers[0], user_id("packer"))
    db.session.commit()
    data = handoff_tile()
    assert data["manifests"] == [{"code": manifest.code, "carrier": "builtin",
                                  "status": "open", "expected": 3, "scanned": 1}]
    assert data["open_cases"] == 0
    client = sign_in(sqlite_warehouse.test_client(), "supervisor")
    fragment = client.get("/console/tiles/handoff").get_data(as_text=True)
    assert f'data-manifest="{manifest.code}"' in fragment and "1/3" in fragment
