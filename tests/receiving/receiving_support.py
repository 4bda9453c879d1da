"""Helpers the receiving tests share (a module of its own: `conftest` names collide)."""
from sqlalchemy import select

from webapp.catalog.models import Product
from webapp.extensions import db

# A drawing as signature_pad's toSVG() writes it: what the close form posts.
SIG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 336 176" width="336" height="176">'
       '<path d="M 20.000,40.000 C 25.100,42.300 30.000,45.000 35.500,50.250" '
       'stroke-width="3.120" stroke="#0d1117" fill="none" stroke-linecap="round"></path></svg>')
SIGNED = {"receiver_svg": SIG, "deliverer_svg": SIG}


def products(n):
    """The first n products, by SKU."""
    return db.session.scalars(select(Product).order_by(Product.sku).limit(n)).all()


def ean(product):
    """The product's EAN-13."""
    return product.barcodes[0].code
