"""Fixtures for the outbound flow: a seeded warehouse, orders, a planned wave."""
import json

import pytest
from sqlalchemy import select

from webapp import demo
from webapp.accounts.models import User
from webapp.catalog.models import Product, StockLevel
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.picking.models import Wave
from webapp.picking.waves import run_wave


@pytest.fixture
def warehouse(any_app):
    """The demo warehouse with 40 products, on SQLite and on PostgreSQL."""
    demo.seed(products=40)
    db.session.commit()
    return any_app


@pytest.fixture
def user_id():
    """user_id('picker') -> id of the demo person of that role."""
    return lambda role: db.session.scalar(select(User.id).where(User.username == role))


def stocked_skus(count, min_qty=3):
    """SKUs with at least min_qty free units somewhere."""
    rows = db.session.execute(select(Product.sku).join(StockLevel, StockLevel.product_id ==
                                                       Product.id)
                              .where(StockLevel.quantity - StockLevel.reserved >= min_qty)
                              .group_by(Product.sku).order_by(Product.sku).limit(count))
    return [r[0] for r in rows]


def order_payload(number, lines, **extra):
    """A valid order payload with the given (sku, quantity) lines."""
    return {"channel": "shop", "order_no": str(number), "carrier": "builtin",
            "address": {"name": "Li Lei", "phone": "13800000000", "line1": "1 Renmin Rd",
                        "city": "Hangzhou", "province": "Zhejiang", "postcode": "310000"},
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines], **extra}


@pytest.fixture
def planned(warehouse, user_id):
    """Four valid orders, allocated and planned into pick lists by a wave."""
    skus = stocked_skus(6)
    for n in range(4):
        intake(order_payload(1000 + n, [(skus[n], 2), (skus[n + 2], 1)]))
    db.session.commit()
    wave = Wave(params_json=json.dumps({"max_orders": 3, "max_lines": 20}),
                created_by_id=user_id("supervisor"))
    db.session.add(wave)
    db.session.commit()
    run_wave(wave)
    db.session.commit()
    return wave
