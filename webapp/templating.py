"""Names every template may use."""
import json

from flask_babel import get_locale, get_translations, gettext, lazy_gettext as _l
from jinja2 import pass_context
from markupsafe import Markup

ROLE_LABELS = {
    "picker": _l("Picker"),
    "packer": _l("Packer"),
    "receiver": _l("Receiver"),
    "courier": _l("Courier"),
    "customer_service": _l("Customer service"),
    "supervisor": _l("Supervisor"),
    "admin": _l("Admin"),
}

LOCATION_TYPE_LABELS = {
    "storage": _l("Storage"),
    "receiving": _l("Receiving"),
    "packing": _l("Packing"),
    "shipping": _l("Shipping"),
    "defective": _l("Defective store"),
    "returns": _l("Returns"),
}

ORDER_STATE_LABELS = {
    "new": _l("New"), "allocated": _l("Allocated"), "picking": _l("Picking"),
    "picked": _l("Picked"), "packed": _l("Packed"), "handed_over": _l("Handed over"),
    "on_hold": _l("On hold"), "short": _l("Short"), "cancelled": _l("Cancelled"),
}

EXCEPTION_LABELS = {
    "address_error": _l("Address error"), "unknown_sku": _l("Unknown SKU"),
    "bad_quantity": _l("Bad quantity"), "bad_price": _l("Bad unit price"),
    "bad_carrier": _l("Carrier unavailable"),
    "short": _l("Out of stock"), "short_pick": _l("Short pick"),
    "cancelled_in_pick": _l("Cancelled while picking"),
    "cancelled_packed": _l("Cancelled after packing"), "bad_priority": _l("Bad priority"),
}

ADDRESS_LABELS = {
    "name": _l("Recipient"), "phone": _l("Phone"), "line1": _l("Street address"),
    "city": _l("City"), "province": _l("Province"), "postcode": _l("Postcode"),
    "country": _l("Country"),
}

INTAKE_OUTCOME_LABELS = {
    "created": _l("Created"), "held": _l("On hold: needs fixing"),
    "duplicate": _l("Already received; nothing changed"), "rejected": _l("Rejected"),
}

SHORT_REASON_LABELS = {"empty": _l("Location empty"), "damaged": _l("Damaged"),
                       "not_found": _l("Not found")}

RUN_STATE_LABELS = {"queued": _l("Queued"), "running": _l("Running"),
                    "finished": _l("Finished"), "failed": _l("Failed")}
SHIPMENT_STATE_LABELS = {"queued": _l("Queued"), "booking": _l("Booking"),
                         "booked": _l("Booked"), "failed": _l("Failed")}
LIST_STATE_LABELS = {"open": _l("Open"), "in_progress": _l("In progress"),
                     "done": _l("Done"), "cancelled": _l("Cancelled")}


def current_locale():
    """'en' or 'zh': the language this page is rendered in."""
    locale = get_locale()
    return locale.language if locale else "en"


def barcode_strings():
    """Every barcode problem's template and AI name in the page's language: the device
    translates the refusals of static/js/barcodes.js with them, as the server does."""
    from .catalog.gs1 import AI_NAMES
    from .catalog.scan_result import MESSAGES
    return {text: gettext(text) for text in MESSAGES + AI_NAMES}


def gettext_once():
    """A template `gettext` for one render that looks each message up once.

    Pass it as `gettext=gettext_once()` to a page that repeats the same few messages
    in every row: flask-babel finds the request's translations anew for each `_()`,
    and the pick lists page asks about 700 times for 15 messages. It does what
    Jinja's newstyle gettext over flask-babel's does (jinja2.ext._make_new_gettext):
    translate, mark safe under autoescape, format with the variables.
    """
    translate, seen = get_translations().ugettext, {}

    @pass_context
    def template_gettext(context, string, **variables):
        text = seen.get(string)
        if text is None:
            text = seen[string] = translate(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return template_gettext


def can(endpoint):
    """True when the signed-in person may use `endpoint`: a page shows only the links
    and buttons that would not answer 403 (the rule is the view's allow(...))."""
    from flask_login import current_user

    from .access import PUBLIC, allowed_roles
    roles = allowed_roles(endpoint)
    if roles == PUBLIC:
        return True
    return bool(roles) and current_user.is_authenticated and current_user.has_any_role(roles)


def register(app):
    """Install the template globals."""
    app.jinja_env.globals.update(
        can=can,
        current_locale=current_locale,
        barcode_strings=barcode_strings,
        role_label=lambda role: ROLE_LABELS.get(role, role),
        location_type_label=lambda kind: LOCATION_TYPE_LABELS.get(kind, kind),
        order_state_label=lambda state: ORDER_STATE_LABELS.get(state, state),
        exception_label=lambda kind: EXCEPTION_LABELS.get(kind, kind),
        address_label=lambda field: ADDRESS_LABELS.get(field, field),
        intake_outcome_label=lambda outcome: INTAKE_OUTCOME_LABELS.get(outcome, outcome),
        short_reason_label=lambda reason: SHORT_REASON_LABELS.get(reason, reason),
        run_state_label=lambda state: RUN_STATE_LABELS.get(state, state),
        list_state_label=lambda state: LIST_STATE_LABELS.get(state, state),
        shipment_state_label=lambda state: SHIPMENT_STATE_LABELS.get(state, state),
    )
    app.jinja_env.filters["fromjson"] = lambda text: json.loads(text or "{}")
