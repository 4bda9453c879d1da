"""Fixtures for receiving: the demo warehouse without its orders and receipts."""
import pytest
from sqlalchemy import select

from demo_seed import seed_demo
from webapp import demo
from webapp.accounts.models import User
from webapp.extensions import db
from webapp.receiving.intake import intake

# The per-request reset of `g` (Flask-Login's cached user) is the root conftest's
# fresh_g_per_request; the password-hash cache is demo_seed's.


def _seed():
    """Demo locations, 30 products with stock, one person per role; no orders, no receipts."""
    seed_demo(30, without=("_orders", "_receipts"))
    db.session.commit()


@pytest.fixture
def warehouse(any_app):
    """The demo warehouse on SQLite and on PostgreSQL."""
    _seed()
    return any_app


@pytest.fixture
def pg_warehouse(pg_app):
    """The demo warehouse on PostgreSQL only: for two requests racing on its rows."""
    _seed()
    return pg_app


@pytest.fixture
def sqlite_warehouse(app):
    """The demo warehouse on SQLite only (views, the real worker)."""
    _seed()
    return app


@pytest.fixture
def user_id():
    """user_id('receiver') -> id of the demo person of that role."""
    return lambda role: db.session.scalar(select(User.id).where(User.username == role))


@pytest.fixture
def sign_in():
    """sign_in(client, 'receiver') -> the client signed in as that demo person."""
    def login(client, role):
        response = client.post("/login", data={"username": role, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, response.data
        return client
    return login


@pytest.fixture
def receipt():
    """receipt([(sku, qty), ...], reference=...) -> a stored expected receipt."""
    def make(lines, reference="PO-1", **extra):
        result = intake({"source": "purchase", "reference": reference, "supplier": "ACME",
                         "dock": "RCV-01",
                         "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
                         **extra})
        assert result.outcome == "created", result.problems
        db.session.commit()
        return result.receipt_id
    return make

