"""Carrier adapters behind one interface.

The built-in adapter issues tracking numbers locally, in the UPU S10 format
that China Post/EMS use (two letters, eight serial digits, a mod-11 check
digit, a country code), so the whole flow works with no carrier account.
EMS, Deppon, YTO and SF are listed; each needs its account settings in the
environment and network access to its booking API, and reports itself
unavailable until it has them, rather than pretending to book.
"""
import os

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


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


class Carrier:
    """The interface: a code, a display name, availability, and booking."""

    code = ""
    name = ""
    env_key = None

    def available(self):
        """True when this carrier can book here and now."""
        return bool(self.env_key and os.environ.get(self.env_key))

    def book(self, shipment_id, parcels):
        """Return one tracking number per parcel (dicts with weight_g and sizes)."""
        raise CarrierError(f"{self.name} is not configured: set {self.env_key} and allow "
                           f"this server to reach its booking API.")


class BuiltinCarrier(Carrier):
    """Issues S10 tracking numbers locally (prefix WH, country CN)."""

    code, name = "builtin", "Built-in (local tracking numbers)"

    def available(self):
        """Always available: it needs nothing outside this server."""
        return True

    def book(self, shipment_id, parcels):
        """Serial = shipment id * 100 + parcel index: unique and stable on re-run."""
        numbers = []
        for index, _parcel in enumerate(parcels, start=1):
            serial = f"{(shipment_id * 100 + index) % 10**8:08d}"
            numbers.append(f"WH{serial}{s10_check_digit(serial)}CN")
        return numbers


class EmsCarrier(Carrier):
    code, name, env_key = "ems", "EMS 中国邮政速递", "EMS_API_KEY"


class DepponCarrier(Carrier):
    code, name, env_key = "deppon", "Deppon 德邦", "DEPPON_API_KEY"


class YtoCarrier(Carrier):
    code, name, env_key = "yto", "YTO 圆通", "YTO_API_KEY"


class SfCarrier(Carrier):
    code, name, env_key = "sf", "SF Express 顺丰", "SF_API_KEY"


CARRIERS = {c.code: c() for c in (BuiltinCarrier, EmsCarrier, DepponCarrier, YtoCarrier,
                                  SfCarrier)}


def get(code):
    """The adapter for a carrier code, or None."""
    return CARRIERS.get(code)
