"""Two booking jobs of one carrier at the same instant (PostgreSQL): their parcels join
one open manifest.

Each job puts its booked parcels on the carrier's open manifest. Both read that none
was open (the first of the day, or the last one's cut-off had passed) before either
committed, and each opened one: the carrier's parcels were split over two manifests
and the courier was handed two 交接单 for one pickup. Opening now takes a per-carrier
lock and looks again under it.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from handoff_support import pack, pick_and_verify
from racing import race
from webapp.extensions import db
from webapp.handoff import services as handoff
from webapp.handoff.models import Manifest, ManifestParcel
from webapp.packing import booking
from webapp.packing.documents import render_label
from webapp.timeutil import utcnow


def _booked(make_planned, user_id, count):
    """`count` orders packed and booked, not on any manifest yet; their shipment ids."""
    ids = [pack(order_id, user_id).id for order_id in pick_and_verify(make_planned, user_id,
                                                                      count)]
    for shipment_id in ids:
        booking.book(shipment_id, render_label)
    db.session.commit()
    return ids


@pytest.mark.parametrize("before", ["none_open", "cutoff_passed"])
def test_two_booking_jobs_open_one_manifest(pg_warehouse, make_planned, user_id, before):
    first_id, second_id = _booked(make_planned, user_id, 2)
    if before == "cutoff_passed":
        old = Manifest(carrier="builtin", status="open", pickup_date=utcnow().date(),
                       cutoff_at=utcnow() - timedelta(minutes=1))
        db.session.add(old)
        db.session.commit()

    def join(shipment_id):
        return lambda: handoff.add_shipment(shipment_id)

    first, second, waited = race(pg_warehouse, join(first_id), join(second_id))
    assert not isinstance(first, Exception) and not isinstance(second, Exception), (first,
                                                                                    second)
    open_ones = db.session.scalars(select(Manifest).where(Manifest.status == "open")).all()
    assert len(open_ones) == 1  # before: two, the carrier's parcels split over them
    members = db.session.scalars(select(ManifestParcel)).all()
    assert {m.manifest_id for m in members} == {open_ones[0].id} and len(members) == 2
    assert waited
