"""Exception messages in the reader's language, translated when shown.

An order's exceptions (and the notes of its state changes) are stored as the
English sentences the app writes: the API and the CSV report answer channels
with them, and every row written so far holds one. The screens translate them at
render from the known set of sentences: each pattern below matches one sentence
and names its values, and its msgid is that sentence with placeholders. A message
of several sentences ("; "-joined) is translated sentence by sentence; a sentence
matching none (a person's note, a row from a future kind) is shown as stored.
"""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..templating import ADDRESS_LABELS, SHORT_REASON_LABELS


def _fields(text):
    """'name, phone' -> the address fields' names in the reader's language."""
    return ", ".join(str(ADDRESS_LABELS.get(name, name)) for name in text.split(", "))


def _long_fields(text):
    """'name (at most 120 characters), ...' -> each field with its limit, translated."""
    parts = []
    for part in text.split(", "):
        found = re.fullmatch(r"(\w+) \(at most (\d+) characters\)", part)
        parts.append(_("%(field)s (at most %(n)s characters)",
                       field=ADDRESS_LABELS.get(found[1], found[1]), n=found[2])
                     if found else part)
    return ", ".join(parts)


def _places(text):
    """'3 at A-01-01-1, 2 at B-02-01-1' -> each quantity and bin, translated."""
    parts = []
    for part in text.split(", "):
        found = re.fullmatch(r"(\d+) at (\S+)", part)
        parts.append(_("%(qty)s at %(code)s", qty=found[1], code=found[2]) if found else part)
    return ", ".join(parts)


def _reason(code):
    """A short-pick reason code in words."""
    return str(SHORT_REASON_LABELS.get(code, code))


# (pattern of the English sentence, its msgid, {value name: how to translate the value}).
# The sentences are written by orders/intake.py, picking/allocation.py,
# picking/shortage.py and orders/services.py.
SENTENCES = [
    (r"address is missing: (?P<fields>.+)", _l("address is missing: %(fields)s"),
     {"fields": _fields}),
    (r"address is too long: (?P<fields>.+)", _l("address is too long: %(fields)s"),
     {"fields": _long_fields}),
    (r"carrier (?P<carrier>.*) is not available", _l("carrier %(carrier)s is not available"), {}),
    (r"priority (?P<value>.*) is not a whole number from (?P<low>-?\d+) to (?P<high>\d+)",
     _l("priority %(value)s is not a whole number from %(low)s to %(high)s"), {}),
    (r"cutoff_at (?P<value>.*) is not an ISO 8601 time",
     _l("cutoff_at %(value)s is not an ISO 8601 time"), {}),
    (r"the order has no lines", _l("the order has no lines"), {}),
    (r"more than (?P<n>\d+) lines", _l("more than %(n)s lines"), {}),
    (r"line (?P<n>\d+): unknown SKU (?P<sku>.*)", _l("line %(n)s: unknown SKU %(sku)s"), {}),
    (r"line (?P<n>\d+): quantity (?P<value>.*) is not a positive whole number",
     _l("line %(n)s: quantity %(value)s is not a positive whole number"), {}),
    (r"line (?P<n>\d+): unit price (?P<value>.*) is not an amount from 0 to (?P<max>[\d.]+) "
     r"with at most two decimals",
     _l("line %(n)s: unit price %(value)s is not an amount from 0 to %(max)s with at most "
        "two decimals"), {}),
    (r"(?P<sku>.+): (?P<missing>\d+) of (?P<qty>\d+) not available",
     _l("%(sku)s: %(missing)s of %(qty)s not available"), {}),
    (r"(?P<sku>.+) at (?P<code>\S+): picked (?P<picked>\d+) of (?P<qty>\d+) \((?P<reason>\w+)\)",
     _l("%(sku)s at %(code)s: picked %(picked)s of %(qty)s (%(reason)s)"), {"reason": _reason}),
    (r"the bin is blocked until counted", _l("the bin is blocked until counted"), {}),
    (r"re-allocated (?P<places>.+)", _l("re-allocated %(places)s"), {"places": _places}),
    (r"(?P<n>\d+) picked units were no longer on the books: posted back",
     _l("%(n)s picked units were no longer on the books: posted back"), {}),
    (r"cancelled after packing: take its (?P<n>\d+) parcel\(s\) off the dock and unpack them",
     _l("cancelled after packing: take its %(n)s parcel(s) off the dock and unpack them"), {}),
    (r"put-away takes the units back to bins", _l("put-away takes the units back to bins"), {}),
    (r"(?P<n>\d+) picked units go back to stock", _l("%(n)s picked units go back to stock"), {}),
    (r"cancelled", _l("cancelled"), {}),
    (r"fixed and released", _l("fixed and released"), {}),
    (r"short pick", _l("short pick"), {}),
]
_COMPILED = [(re.compile(pattern), msgid, values) for pattern, msgid, values in SENTENCES]


def translate(message):
    """A stored exception message (or state-change note) in the reader's language."""
    if not message:
        return message or ""
    return "; ".join(_sentence(part) for part in message.split("; "))


def _sentence(text):
    """One English sentence the app writes, translated; anything else as it is."""
    for pattern, msgid, transforms in _COMPILED:
        found = pattern.fullmatch(text)
        if found:
            values = {name: transforms[name](value) if name in transforms else value
                      for name, value in found.groupdict().items()}
            return str(msgid) % values if values else str(msgid)
    return text


def understood(message):
    """True when every sentence of a message is one the app knows how to translate."""
    return all(any(p.fullmatch(part) for p, _m, _v in _COMPILED)
               for part in (message or "").split("; "))
