"""Fixtures for the outbound flow: a seeded warehouse, orders, a planned wave."""
import json

import pytest
from sqlalchemy import delete, select, update

from demo_seed import seed_demo
from outbound_support import order_payload, stocked_skus  # noqa: F401 - shared helpers
from webapp import demo
from webapp.accounts.models import User
from webapp.catalog.models import StockLevel
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.orders.models import Order, OrderEvent, OrderException, OrderLine
from webapp.packing.models import Parcel, Shipment
from webapp.picking.models import PickList, PickTask, Reservation, Wave
from webapp.picking.waves import run_wave

DEMO_PASSWORD = demo.DEMO_PASSWORD

# Children first, so every delete satisfies the foreign keys.
_ORDER_TABLES = (Parcel, Shipment, PickTask, PickList, Wave, Reservation, OrderException,
                 OrderEvent, OrderLine, Order)


def _clear_orders():
    """Drop any orders, waves and reservations the demo seed made: tests bring their own."""
    for model in _ORDER_TABLES:
        db.session.execute(delete(model))
    db.session.execute(update(StockLevel).values(reserved=0))


def _seed():
    """Demo locations, 40 products with stock, one person per role; no orders (the
    tests bring theirs). `g` is emptied per request by the root conftest."""
    seed_demo(40, without=("_orders",))
    db.session.flush()
    _clear_orders()
    db.session.commit()


@pytest.fixture
def warehouse(any_app):
    """The demo warehouse with 40 products, on SQLite and on PostgreSQL."""
    _seed()
    return any_app


@pytest.fixture
def pg_warehouse(pg_app):
    """The demo warehouse on PostgreSQL only: for two requests or jobs racing on its rows."""
    _seed()
    return pg_app


@pytest.fixture
def sqlite_warehouse(app):
    """The demo warehouse on SQLite only, for view tests and the real worker."""
    _seed()
    return app


@pytest.fixture
def user_id():
    """user_id('picker') -> id of the demo person of that role."""
    return lambda role: db.session.scalar(select(User.id).where(User.username == role))


@pytest.fixture
def sign_in():
    """sign_in(client, 'packer') -> the client signed in as the demo person of that role."""
    def login(client, role):
        response = client.post("/login", data={"username": role, "password": DEMO_PASSWORD})
        assert response.status_code == 302, response.data
        return client
    return login


def plan(max_orders=3, max_lines=20, created_by=None):
    """Run a wave over the orders waiting now; return it."""
    wave = Wave(params_json=json.dumps({"max_orders": max_orders, "max_lines": max_lines}),
                created_by_id=created_by)
    db.session.add(wave)
    db.session.commit()
    run_wave(wave)
    db.session.commit()
    return wave


@pytest.fixture
def planned(warehouse, user_id):
    """Four valid orders, allocated and planned into pick lists by a wave."""
    skus = stocked_skus(6)
    for n in range(4):
        intake(order_payload(1000 + n, [(skus[n], 2), (skus[n + 2], 1)]))
    db.session.commit()
    return plan(max_orders=3, max_lines=20, created_by=user_id("supervisor"))


@pytest.fixture
def make_planned():
    """make_planned([[(sku, qty), ...], ...]) -> orders (numbered 2000+) in one wave.

    Returns the order ids in the order given. `max_orders` bounds each list.
    """
    def build(orders, max_orders=10, **extra):
        ids = []
        for n, lines in enumerate(orders):
            result = intake(order_payload(2000 + n, lines, **extra))
            assert result.outcome == "created", result.problems
            ids.append(result.order_id)
        db.session.commit()
        plan(max_orders=max_orders, max_lines=100)
        return ids
    return build
