"""Two taps on Retry, or two runs of the booking job, at the same instant (PostgreSQL):
one booking job starts, the carrier books once, and the shipment ends booked.

Both requests read the shipment 'failed' before either committed, so a double tap on
"retry booking" queued two booking jobs (and a supervisor requeuing the failed job
while the packer taps Retry does the same). Two jobs that each read no booking key
made one each, the later write replacing the first: the carrier booked under both.
Two jobs sending the same key each found no booking under it yet; the built-in
carrier's second insert broke its unique key and that job wrote 'failed' over the
first's 'booked'. The retry is now claimed by an update guarded on 'failed', the key
is set only where none is stored, and the booking job holds the shipment's row lock
from booking to commit, so a second run waits and finds it booked.
"""
import threading

import pytest
from sqlalchemy import select

from handoff_support import pack, pick_and_verify
from racing import race, wait_for_lock_wait
from webapp.extensions import db
from webapp.handoff.models import ManifestParcel
from webapp.packing import jobs, printing
from webapp.packing import booking
from webapp.packing import services as packing
from webapp.packing.models import CarrierBooking, LabelPrint, PackingStation, Shipment


def _packed(make_planned, user_id, parcels=2):
    """One order packed into `parcels` boxes, its booking not run; the shipment id."""
    (order_id,) = pick_and_verify(make_planned, user_id, 1)
    return pack(order_id, user_id, parcels).id


def _failed(shipment_id):
    """The shipment as a failed booking leaves it (the packer sees Retry)."""
    shipment = db.session.get(Shipment, shipment_id)
    shipment.status, shipment.error = "failed", "CarrierError: try again"
    db.session.commit()
    return shipment.order_id


def test_a_double_tap_on_retry_queues_one_booking(pg_warehouse, make_planned, user_id):
    order_id = _failed(_packed(make_planned, user_id))

    def retry():
        return booking.retry_booking(order_id)

    # The second tap does not wait for the first (NOWAIT): it is told at once.
    first, second, _waited = race(pg_warehouse, retry, retry)
    assert isinstance(first, Shipment)
    assert isinstance(second, packing.PackingError), second  # before: a second job
    assert "being booked" in str(second)
    assert db.session.scalar(select(Shipment.status).where(
        Shipment.order_id == order_id)) == "queued"


def test_a_tap_on_retry_while_a_booking_job_holds_the_shipment_is_told_at_once(
        pg_warehouse, make_planned, user_id):
    """The job holds the shipment's lock through its carrier's call; before, the tap
    waited all that time (a web worker held) to be told the same thing."""
    order_id = _failed(_packed(make_planned, user_id))
    shipment_id = db.session.scalar(select(Shipment.id).where(Shipment.order_id == order_id))
    holding, done = threading.Event(), threading.Event()

    def job_calling_its_carrier():
        with pg_warehouse.app_context():
            booking.locked_shipment(shipment_id)
            holding.set()
            done.wait(20)  # longer than the tap could wait for and still pass
            db.session.rollback()
            db.session.remove()

    db.session.commit()
    job = threading.Thread(target=job_calling_its_carrier)
    job.start()
    assert holding.wait(30)
    try:
        with pytest.raises(packing.PackingError, match="being booked"):
            booking.retry_booking(order_id)  # before: waited 20 s, then queued a 2nd job
    finally:
        done.set()
        job.join(30)
        db.session.rollback()
    assert db.session.scalar(select(Shipment.status).where(
        Shipment.id == shipment_id)) == "failed"


def test_two_jobs_claiming_the_booking_key_send_the_same(pg_warehouse, make_planned,
                                                         user_id):
    shipment_id = _packed(make_planned, user_id)

    def claim():
        return booking.claim_booking_key(shipment_id)

    first, second, waited = race(pg_warehouse, claim, claim)
    assert waited
    assert isinstance(first, str) and first == second  # before: the carrier got two keys
    assert db.session.get(Shipment, shipment_id).booking_key == first


def _two_jobs(app, shipment_id, monkeypatch, module, name, first_fails=False):
    """Run the booking job twice at once: the first pauses in `module.name` (inside its
    transaction) until the second waits on a lock, then goes on (or, `first_fails`,
    raises: a carrier timing out). Returns both results and whether the second waited."""
    inside, release, results = threading.Event(), threading.Event(), {}
    real, first = getattr(module, name), []

    def pausing(*args, **kwargs):
        value = real(*args, **kwargs)
        if threading.current_thread() is first[0]:
            inside.set()
            release.wait(30)
            if first_fails:
                raise TimeoutError("the carrier did not answer")
        return value

    def run(key):
        with app.app_context():
            try:
                results[key] = jobs.book_shipment(shipment_id)
            except Exception as error:  # noqa: BLE001 - the test asserts on it
                results[key] = error
            finally:
                inside.set()
                db.session.remove()

    monkeypatch.setattr(module, name, pausing)
    db.session.commit()
    first.append(threading.Thread(target=run, args=("first",)))
    first[0].start()
    assert inside.wait(30), "the first job never reached its pause"
    second = threading.Thread(target=run, args=("second",))
    second.start()
    waited = wait_for_lock_wait()
    release.set()
    first[0].join(30)
    second.join(30)
    db.session.expire_all()
    return results.get("first"), results.get("second"), waited


@pytest.mark.parametrize("retried", [False, True], ids=["first_run", "after_a_failure"])
def test_two_booking_jobs_at_once_book_once(pg_warehouse, make_planned, user_id,
                                            monkeypatch, retried):
    """A retried job and the requeued failed one run together (or the job twice):
    the second waits for the first's booking and finds it booked."""
    shipment_id = _packed(make_planned, user_id)
    if retried:
        booking.claim_booking_key(shipment_id)  # the failed run stored its key
        _failed(shipment_id)

    first, second, waited = _two_jobs(pg_warehouse, shipment_id, monkeypatch,
                                      jobs, "add_shipment")
    assert waited
    assert isinstance(first, dict) and isinstance(second, dict), (first, second)
    shipment = db.session.get(Shipment, shipment_id)
    assert shipment.status == "booked"
    (booked,) = db.session.scalars(select(CarrierBooking)).all()
    assert booked.idempotency_key == shipment.booking_key
    assert booked.tracking_numbers.split(",") == [p.tracking_number for p in shipment.parcels]
    assert first["tracking"] == second["tracking"] == [p.tracking_number
                                                       for p in shipment.parcels]
    assert len(db.session.scalars(select(ManifestParcel)).all()) == 2


def test_a_run_failing_while_another_books_leaves_it_booked(pg_warehouse, make_planned,
                                                            user_id, monkeypatch):
    """The first run times out after the second started waiting: the second books; the
    first's failure must not be written over that booking."""
    shipment_id = _packed(make_planned, user_id)

    first, second, waited = _two_jobs(pg_warehouse, shipment_id, monkeypatch,
                                      jobs, "add_shipment", first_fails=True)
    assert isinstance(first, TimeoutError), first
    assert isinstance(second, dict), second
    shipment = db.session.get(Shipment, shipment_id)
    assert (shipment.status, shipment.error) == ("booked", None)  # before: 'failed'
    assert second["tracking"] == [p.tracking_number for p in shipment.parcels]
    assert len(db.session.scalars(select(CarrierBooking)).all()) == 1
    assert waited


def test_two_booking_jobs_at_once_print_the_labels_once(pg_warehouse, make_planned, user_id,
                                                        monkeypatch):
    station = PackingStation(code="PK-9", name="Bench 9", printer_host="192.0.2.1")
    db.session.add(station)
    db.session.commit()
    shipment_id = _packed(make_planned, user_id)
    db.session.get(Shipment, shipment_id).station_id = station.id
    db.session.commit()

    first, second, waited = _two_jobs(pg_warehouse, shipment_id, monkeypatch,
                                      printing, "queue_prints")
    assert isinstance(first, dict) and isinstance(second, dict), (first, second)
    assert len(db.session.scalars(select(LabelPrint)).all()) == 2  # before: 4, twice each
    assert waited


def test_a_tap_on_retry_after_the_other_is_told_it_is_being_booked(
        sqlite_warehouse, client, sign_in, make_planned, user_id):
    shipment_id = _packed(make_planned, user_id)  # queued: the first tap's job waits
    order_id = db.session.get(Shipment, shipment_id).order_id
    packer = sign_in(client, "packer")

    response = packer.post(f"/packing/orders/{order_id}/shipment/retry",
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'id="shipment"' in fragment and 'data-status="queued"' in fragment
    assert "already booked or being booked" in fragment
    assert db.session.get(Shipment, shipment_id).job_id is None  # no second job
