"""Carrier adapters behind one interface: book, cancel, track.

Only carriers that can really book are listed. The built-in carrier issues
tracking numbers in the UPU S10 format that China Post/EMS use (two letters,
eight serial digits, a mod-11 check digit, a country code) from its own
sequence, remembers each booking under the caller's idempotency key, and
reports a plausible delivery timeline (with a share of failures), so the whole
flow, handoff and after-sales included, works with no carrier account.

EMS, Deppon, YTO and SF are not offered: no client for their booking APIs
exists here, and offering them would only fail at the packing station.
"""
import hashlib
import os
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..locks import BUILTIN_SERIALS, hold

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
BUILTIN_MAX_WEIGHT_G = 30_000
# Tracking event codes, in the order a delivery goes through them.
EVENT_CODES = ("picked_up", "in_transit", "out_for_delivery", "delivered", "address_wrong",
               "refused", "lost", "returned")
FAILURE_CODES = ("address_wrong", "refused", "lost")


class CarrierError(RuntimeError):
    """A booking the carrier refused or could not make."""


def s10_check_digit(serial):
    """UPU S10 check digit for an 8-digit serial."""
    total = sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def s10_valid(number):
    """True when `number` is a well-formed S10 identifier with a correct check digit."""
    return (len(number) == 13 and number[:2].isalpha() and number[11:].isalpha()
            and number[2:11].isdigit() and s10_check_digit(number[2:10]) == int(number[10]))


def s10_number(serial):
    """The built-in carrier's tracking number for a serial."""
    digits = f"{serial % 10**8:08d}"
    return f"WH{digits}{s10_check_digit(digits)}CN"


class Carrier:
    """The interface every adapter keeps."""

    code = ""
    name = ""

    def available(self):
        """True when this carrier can book here and now."""
        raise NotImplementedError

    def book(self, idempotency_key, parcels):
        """One tracking number per parcel (dicts with weight_g); the same key books once."""
        raise NotImplementedError

    def cancel(self, idempotency_key):
        """Withdraw a booking; True when it was live."""
        raise NotImplementedError

    def track(self, parcels, now):
        """Events so far for parcels (dicts: tracking_number, handed_over_at)."""
        raise NotImplementedError


class BuiltinCarrier(Carrier):
    """Books in this database: serials from its own sequence, bookings kept by key."""

    code, name = "builtin", "Built-in (local tracking numbers)"

    def available(self):
        """Always available: it needs nothing outside this server."""
        return True

    def book(self, idempotency_key, parcels):
        """Book once per key: a retried job gets the numbers of the first booking."""
        from .models import CarrierBooking
        existing = db.session.scalar(select(CarrierBooking).where(
            CarrierBooking.carrier == self.code, CarrierBooking.idempotency_key == idempotency_key))
        if existing is not None:
            return existing.tracking_numbers.split(",")
        for number, parcel in enumerate(parcels, start=1):
            if int(parcel["weight_g"]) > BUILTIN_MAX_WEIGHT_G:
                raise CarrierError(_("Parcel %(n)d: the built-in carrier takes parcels up to "
                                     "%(kg)d kg.", n=number, kg=BUILTIN_MAX_WEIGHT_G // 1000))
        # One booking at a time reads the highest serial and takes the next, till commit:
        # two at once took the same numbers and the second broke the parcels' unique key.
        hold(BUILTIN_SERIALS, self.code)
        first = (db.session.scalar(select(func.max(CarrierBooking.last_serial))
                                   .where(CarrierBooking.carrier == self.code)) or 0) + 1
        numbers = [s10_number(first + i) for i in range(len(parcels))]
        db.session.add(CarrierBooking(carrier=self.code, idempotency_key=idempotency_key,
                                      last_serial=first + len(parcels) - 1,
                                      tracking_numbers=",".join(numbers)))
        db.session.flush()
        return numbers

    def cancel(self, idempotency_key):
        """Mark the booking cancelled; its numbers are never issued again."""
        from .models import CarrierBooking
        booking = db.session.scalar(select(CarrierBooking).where(
            CarrierBooking.carrier == self.code, CarrierBooking.idempotency_key == idempotency_key))
        if booking is None or booking.status == "cancelled":
            return False
        booking.status = "cancelled"
        return True

    def track(self, parcels, now):
        """The timeline each parcel has reached by `now` (see `builtin_timeline`)."""
        events = []
        for parcel in parcels:
            events += [e for e in builtin_timeline(parcel["tracking_number"],
                                                   parcel["handed_over_at"]) if e["at"] <= now]
        return events


def _time_scale():
    """How many times faster than real time the built-in carrier delivers (demo: 60)."""
    try:
        return max(float(os.environ.get("BUILTIN_TRACKING_SPEED", "1")), 0.001)
    except ValueError:
        return 1.0


# (code, hours after handoff, location). A tenth of parcels fail: 地址错误, refused, lost.
_DELIVERED = (("picked_up", 0.5, "仓库 Warehouse dock"), ("in_transit", 4, "杭州转运中心"),
              ("in_transit", 20, "上海转运中心"), ("out_for_delivery", 40, "派送站"),
              ("delivered", 44, "收件人 Recipient"))
_FAILED = {
    "address_wrong": _DELIVERED[:4] + (("address_wrong", 45, "派送站"),
                                       ("returned", 96, "仓库 Warehouse")),
    "refused": _DELIVERED[:4] + (("refused", 45, "收件人 Recipient"),
                                 ("returned", 96, "仓库 Warehouse")),
    "lost": _DELIVERED[:2],  # then silence: the stuck-parcel rule catches it
}


def builtin_outcome(tracking_number):
    """How this parcel's delivery ends, fixed by its number: delivered, or a failure."""
    roll = int(hashlib.sha256(tracking_number.encode()).hexdigest()[:8], 16) % 100
    return {0: "address_wrong", 1: "address_wrong", 2: "address_wrong", 3: "address_wrong",
            4: "refused", 5: "refused", 6: "refused", 7: "lost", 8: "lost"}.get(roll, "delivered")


def builtin_timeline(tracking_number, handed_over_at):
    """Every event this parcel will get, with its time, from the handoff on."""
    outcome = builtin_outcome(tracking_number)
    steps = _DELIVERED if outcome == "delivered" else _FAILED[outcome]
    scale = _time_scale()
    return [{"tracking_number": tracking_number, "code": code, "location": where,
             "at": handed_over_at + timedelta(hours=hours / scale),
             "event_id": f"{tracking_number}-{index}"}
            for index, (code, hours, where) in enumerate(steps)]


CARRIERS = {c.code: c() for c in (BuiltinCarrier,)}


def get(code):
    """The adapter for a carrier code, or None."""
    return CARRIERS.get(code)
