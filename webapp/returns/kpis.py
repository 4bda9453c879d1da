"""Returns as data for the supervisor's KPIs: by reason, by product, by age (the charts
are another issue's; these are the numbers they draw)."""
from datetime import timedelta

from sqlalchemy import func, select

from ..catalog.models import Product
from ..extensions import db
from ..timeutil import utcnow
from .models import OPEN_STATES, ReturnLine, ReturnRequest

AGE_BUCKETS = ((1, "<1d"), (3, "1-3d"), (7, "3-7d"), (None, ">7d"))


def by_reason(since=None):
    """[(reason, returns, units)] since a moment (every return when None), most first."""
    units = func.coalesce(func.sum(ReturnLine.quantity), 0)
    query = (select(ReturnRequest.reason, func.count(func.distinct(ReturnRequest.id)), units)
             .join(ReturnLine, ReturnLine.return_id == ReturnRequest.id)
             .where(ReturnLine.unexpected.is_(False)).group_by(ReturnRequest.reason))
    if since is not None:
        query = query.where(ReturnRequest.created_at >= since)
    return sorted((tuple(row) for row in db.session.execute(query)), key=lambda r: (-r[1], r[0]))


def by_product(limit=20):
    """[(sku, units announced, units failed inspection)] of the most returned products."""
    rows = db.session.execute(
        select(Product.sku, func.sum(ReturnLine.quantity), func.sum(ReturnLine.failed_qty))
        .join(Product, Product.id == ReturnLine.product_id)
        .where(ReturnLine.unexpected.is_(False)).group_by(Product.sku)
        .order_by(func.sum(ReturnLine.quantity).desc(), Product.sku).limit(limit))
    return [tuple(row) for row in rows]


def by_age(now=None):
    """{bucket: open returns} by how long they have been open."""
    now = now or utcnow()
    counts = {label: 0 for _days, label in AGE_BUCKETS}
    for created in db.session.scalars(select(ReturnRequest.created_at).where(
            ReturnRequest.status.in_(OPEN_STATES))):
        created = created if created.tzinfo else created.replace(tzinfo=now.tzinfo)
        age = now - created
        label = next(label for days, label in AGE_BUCKETS
                     if days is None or age < timedelta(days=days))
        counts[label] += 1
    return counts
