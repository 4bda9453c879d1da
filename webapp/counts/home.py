"""The counts' home cards: what waits for a counter, and for the supervisor."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..core.home import register_hint
from ..extensions import db
from .models import CountLine


def counter_hint():
    """The counter's card: bins waiting, and how accurate the books were lately."""
    from .services import open_count
    from .variances import accuracy
    share = accuracy()["share"]
    text = _("%(n)d bins to count", n=open_count())
    if share is not None:
        text += " · " + _("账实相符 %(pct)s%%", pct=_percent(share))
    return text


def variances_hint():
    """The supervisor's card: variances waiting for a decision."""
    waiting = db.session.scalar(select(func.count()).where(CountLine.status == "pending"))
    return _("%(n)d variances to approve", n=waiting)


def plans_hint():
    """The supervisor's plans card: counts claimed and left idle wait for a release."""
    from .claims import idle_count
    idle = idle_count()
    return _("%(n)d counts claimed and left idle", n=idle) if idle else \
        _("Zone, range, product, cycle")


def _percent(share):
    """0.9567 -> '95.7'."""
    return f"{share * 100:.1f}"


register_hint("counts.my_counts", counter_hint)
register_hint("counts.variances_page", variances_hint)
register_hint("counts.plans_page", plans_hint)
