"""Booking is idempotent: the shipment's key is stored before the carrier is called and
sent again by every retry, so running the booking job twice books once."""
from sqlalchemy import func, select

from outbound_support import barcode_of, pick_whole_list, stocked_skus
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.packing import carriers
from webapp.packing import booking
from webapp.packing import services as packing
from webapp.packing.jobs import book_shipment
from webapp.packing.models import CarrierBooking, Shipment
from webapp.picking.models import PickTask
from webapp.queues import enqueue, queue

BOX = {"weight_g": "850", "length_mm": "300", "width_mm": "200", "height_mm": "100"}


def packed_shipment(make_planned, user_id, parcels=2):
    """An order picked, verified and packed into parcels, its booking not run; its id."""
    (sku,) = stocked_skus(1)
    (order_id,) = make_planned([[(sku, 2)]])
    list_id = db.session.scalar(select(PickTask.pick_list_id).where(PickTask.order_id == order_id))
    pick_whole_list(list_id, user_id("picker"))
    order = db.session.get(Order, order_id)
    for line in order.lines:
        for _ in range(line.quantity):
            assert packing.verify_scan(order.id, barcode_of(line.product_id)).ok
    shipment = packing.pack(order.id, [BOX] * parcels, user_id("packer"))
    db.session.commit()
    return shipment.id


def bookings():
    """Every booking the built-in carrier holds."""
    return db.session.scalars(select(CarrierBooking).order_by(CarrierBooking.id)).all()


def tracking(shipment_id):
    """The shipment's tracking numbers, read afresh."""
    db.session.expire_all()
    return [p.tracking_number for p in db.session.get(Shipment, shipment_id).parcels]


def test_the_booking_job_run_twice_through_a_worker_books_once(
        sqlite_warehouse, make_planned, user_id, sqlite_url, run_worker):
    shipment_id = packed_shipment(make_planned, user_id)
    queue("packing").empty()
    enqueue("packing", book_shipment, shipment_id)
    enqueue("packing", book_shipment, shipment_id)  # a retry of the same job
    db.session.close()

    run_worker(sqlite_url, "packing")

    shipment = db.session.get(Shipment, shipment_id)
    assert shipment.status == "booked" and shipment.booking_key
    (booking,) = bookings()
    assert booking.idempotency_key == shipment.booking_key
    assert booking.tracking_numbers.split(",") == tracking(shipment_id)


def test_a_retry_after_the_carrier_booked_gets_the_same_numbers(warehouse, make_planned,
                                                                user_id):
    """The first run stored its key, the carrier booked, and the run died before its
    own commit: the retry sends the stored key and gets that booking back."""
    shipment_id = packed_shipment(make_planned, user_id)
    key = booking.claim_booking_key(shipment_id)
    db.session.commit()  # what the job commits before calling the carrier
    first = carriers.get("builtin").book(key, [{"weight_g": 850}, {"weight_g": 850}])
    db.session.commit()  # the carrier's side of it; the job's own work was lost
    assert tracking(shipment_id) == [None, None]

    book_shipment(shipment_id)
    book_shipment(shipment_id)  # and once more: nothing changes

    assert tracking(shipment_id) == first
    assert db.session.scalar(select(func.count()).select_from(CarrierBooking)) == 1
    assert db.session.get(Shipment, shipment_id).booking_key == key


def test_a_booking_the_carrier_refused_keeps_its_key_for_the_retry(warehouse, make_planned,
                                                                   user_id):
    """The key is stored (committed) before the call, even when the call fails."""
    shipment_id = packed_shipment(make_planned, user_id, parcels=1)
    db.session.get(Shipment, shipment_id).parcels[0].weight_g = 40_000  # over 30 kg
    db.session.commit()
    try:
        book_shipment(shipment_id)
    except carriers.CarrierError:
        pass
    else:
        raise AssertionError("the built-in carrier takes parcels up to 30 kg")
    db.session.expire_all()
    refused = db.session.get(Shipment, shipment_id)
    assert refused.status == "failed" and refused.booking_key
    key = refused.booking_key
    refused.parcels[0].weight_g = 20_000
    db.session.commit()
    book_shipment(shipment_id)
    db.session.expire_all()
    (booking,) = bookings()
    assert booking.idempotency_key == key == db.session.get(Shipment, shipment_id).booking_key


def test_a_shipment_of_an_order_cancelled_before_its_job_ran_is_not_booked(
        warehouse, make_planned, user_id):
    from webapp.orders.services import cancel_order
    shipment_id = packed_shipment(make_planned, user_id)
    order_id = db.session.get(Shipment, shipment_id).order_id
    cancel_order(order_id, user_id("supervisor"))
    db.session.commit()
    assert book_shipment(shipment_id)["cancelled"] is True
    assert bookings() == [] and tracking(shipment_id) == [None, None]
    assert db.session.get(Shipment, shipment_id).status == "failed"
