"""Names every template may use."""
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

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


def current_locale():
    """'en' or 'zh': the language this page is rendered in."""
    locale = get_locale()
    return locale.language if locale else "en"


def register(app):
    """Install the template globals."""
    app.jinja_env.globals.update(
        current_locale=current_locale,
        role_label=lambda role: ROLE_LABELS.get(role, role),
        location_type_label=lambda kind: LOCATION_TYPE_LABELS.get(kind, kind),
    )
