"""Two bookings with the built-in carrier at the same instant (PostgreSQL): each gets
tracking numbers of its own.

The built-in carrier issues the serial after the highest it has issued. Two booking
jobs read that highest serial before either committed, took the same numbers, and the
second broke the parcels' unique tracking number: an IntegrityError, a failed booking
the packer had to retry. The serials are now taken one booking at a time, under a lock
held till the booking commits.
"""
from sqlalchemy import select

from handoff_support import pack, pick_and_verify
from racing import race
from webapp.extensions import db
from webapp.packing import booking
from webapp.packing.carriers import s10_valid
from webapp.packing.documents import render_label
from webapp.packing.models import CarrierBooking, Parcel, Shipment


def test_two_bookings_at_once_get_different_tracking_numbers(pg_warehouse, make_planned,
                                                             user_id):
    first_id, second_id = (pack(order_id, user_id, parcels=2).id
                           for order_id in pick_and_verify(make_planned, user_id, 2))

    def book(shipment_id):
        return lambda: booking.book(shipment_id, render_label)

    first, second, waited = race(pg_warehouse, book(first_id), book(second_id))
    assert waited
    assert isinstance(first, Shipment), first
    assert isinstance(second, Shipment), second  # before: IntegrityError
    numbers = db.session.scalars(select(Parcel.tracking_number)).all()
    assert len(set(numbers)) == 4 and all(s10_valid(n) for n in numbers)
    serials = sorted(db.session.scalars(select(CarrierBooking.last_serial)))
    assert serials == [2, 4]
