"""What reading a scan answers: its contents (ParsedBarcode) or a refusal (Message).

Separate from the parsers because each of them (plain codes, GS1 element strings,
barcodes.parse) builds these, and the edge (catalog.services.refusal, templating's
barcode_strings) reads them without parsing anything. MESSAGES lists every template
a refusal can take, for the translations.
"""
from dataclasses import dataclass, field, fields
from datetime import date


class BarcodeError(ValueError):
    """A code that cannot be a valid barcode; the message is shown to people."""


class Message(str):
    """What is wrong with a code, in English, remembering the template and values it
    was made from: the edge translates it (catalog.services.refusal, and the device
    from its page's strings). The templates are listed in MESSAGES."""

    def __new__(cls, template, **values):
        text = super().__new__(cls, template % values if values else template)
        text.template, text.values = template, values
        return text

    def as_dict(self):
        """{template, values}: what static/js/barcodes.js gives as a problem."""
        return {"template": self.template, "values": self.values}


# Every template of a Message (and in gs1.AI_NAMES every AI name), for the translations
# (zh-CN) and the device's page strings (webapp/templating.py barcode_strings).
MESSAGES = (
    "The barcode is empty.",
    "A Code128 barcode holds 1 to 64 printable ASCII characters.",
    "Unknown barcode type: %(kind)s",
    "A %(kind)s barcode has exactly %(n)d digits.",
    "The check digit of %(code)s is wrong (expected %(digit)s).",
    "An EAN/UPC barcode (%(symbology)s) holds 8, 12 or 13 digits.",
    "Unknown GS1 application identifier: %(ai)s.",
    "GS1 AI %(ai)s appears more than once.",
    "GS1 text in the (AI)data form is malformed.",
    "GS1 AI %(ai)s (%(name)s): the check digit of %(value)s is wrong (expected %(digit)s).",
    "GS1 AI %(ai)s (%(name)s): %(value)s is not a valid YYMMDD date.",
    "GS1 AI %(ai)s (%(name)s) needs exactly %(n)d digits.",
    "GS1 AI %(ai)s (%(name)s) holds 1 to %(n)d digits.",
    "GS1 AI %(ai)s (%(name)s) holds 1 to %(n)d characters of the GS1 character set.",
)


@dataclass
class ParsedBarcode:
    """What a scan holds. `errors` lists every problem found; empty means valid.

    `text` is the scan as read (cleaned, without the scanner's prefix): what a
    location code or a SKU is matched against. `keys` are the stored forms a
    product barcode or SSCC may take (just `text` when the scan is refused).
    """
    symbology_id: str | None
    kind: str | None           # gs1, ean13, upca, ean8, gtin, code128 (None: empty)
    code: str                  # the primary code: SSCC, GTIN or the cleaned text
    gtin: str | None = None    # GTIN-14 of a retail code, or AI 01 (else 02) of GS1
    ais: dict = field(default_factory=dict)      # element data as read (dates as YYMMDD)
    errors: list = field(default_factory=list)
    text: str = ""
    keys: list = field(default_factory=list)
    sscc: str | None = None
    lot: str | None = None
    serial: str | None = None
    count: str | None = None
    expiry: date | None = None
    best_before: date | None = None
    sell_by: date | None = None
    due_date: date | None = None
    production_date: date | None = None
    packaging_date: date | None = None

    @property
    def ok(self):
        """True when nothing is wrong with the code."""
        return not self.errors

    @property
    def reason(self):
        """Why the scan is refused (every problem, in one line, English), or None."""
        return " ".join(self.errors) or None

    @property
    def problems(self):
        """The errors as {template, values}, for the edge to translate."""
        return [e.as_dict() if isinstance(e, Message) else {"template": e, "values": {}}
                for e in self.errors]

    def as_dict(self):
        """The plain-dict form (what static/js/barcodes.js parse() returns), dates ISO."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out = {name: value.isoformat() if isinstance(value, date) else value
               for name, value in out.items()}
        return {**out, "errors": [str(e) for e in self.errors], "problems": self.problems}
