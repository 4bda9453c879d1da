"""The pick list's offline copy carries the catalogue's codes (issue 10: another product's
code is "Wrong item" offline as online), and only their version when the device holds it."""
from sqlalchemy import select

from webapp.catalog.models import Barcode, Product
from webapp.extensions import db


def picker_client(walk):
    """A client of the test's app signed in as the demo picker."""
    client = walk["app"].test_client()
    assert client.post("/login", data={"username": "picker", "password": "demo"}).status_code == 302
    return client


def test_the_pick_list_copy_carries_the_catalogue_once(walk):
    client = picker_client(walk)
    url = f"/api/v1/picklists/{walk['list'].id}/offline"
    copy = client.get(url).get_json()
    codes = copy["catalog"]
    assert set(codes["barcodes"]) == set(db.session.scalars(select(Barcode.code)))
    assert set(codes["skus"]) == set(db.session.scalars(select(Product.sku)))
    assert len(codes["version"]) == 16

    # The device says which version it holds: unchanged, only the version comes back.
    again = client.get(url, query_string={"catalog": codes["version"]}).get_json()
    assert again["catalog"] == {"version": codes["version"]}
    assert again["tasks"] == copy["tasks"]

    # A SKU renamed changes the version: the whole catalogue comes again.
    product = db.session.scalar(select(Product).order_by(Product.id))
    product.sku = product.sku + "-NEW"
    db.session.commit()
    changed = client.get(url, query_string={"catalog": codes["version"]}).get_json()["catalog"]
    assert changed["version"] != codes["version"] and product.sku in changed["skus"]
    stale = client.get(url, query_string={"catalog": "not-a-version"}).get_json()["catalog"]
    assert stale == changed
