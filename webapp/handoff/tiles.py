"""The handoff domain's tile on the supervisor's console: manifests waiting for their
courier (expected vs scanned), parcels moved on, and open after-sales cases."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..supervision.tiles import register_tile
from .models import AfterSalesCase, Manifest, ManifestParcel
from .services import ACTIVE


@register_tile("handoff", _l("Handoff (交接) and after-sales (售后)"), template="handoff/_tile.html",
               order=55, link="handoff.index")
def handoff_tile():
    """Per waiting manifest: carrier, expected, scanned; open cases by reason."""
    rows = db.session.execute(
        select(Manifest.id, Manifest.carrier, Manifest.status,
               func.count(ManifestParcel.id).filter(ManifestParcel.status.in_(ACTIVE)),
               func.count(ManifestParcel.id).filter(ManifestParcel.status == "scanned"))
        .outerjoin(ManifestParcel).where(Manifest.status != "signed")
        .group_by(Manifest.id, Manifest.carrier, Manifest.status).order_by(Manifest.id)).all()
    cases = dict(db.session.execute(select(AfterSalesCase.reason, func.count())
                                    .where(AfterSalesCase.status == "open")
                                    .group_by(AfterSalesCase.reason)).all())
    return {"manifests": [{"code": f"MF{r[0]:08d}", "carrier": r[1], "status": r[2],
                           "expected": r[3], "scanned": r[4]} for r in rows],
            "cases": cases, "open_cases": sum(cases.values())}
