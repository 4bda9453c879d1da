"""Fixtures for returns: the demo warehouse without its orders, and shipped orders."""
import pytest
from sqlalchemy import select

from demo_seed import seed_demo
from webapp import demo
from webapp.accounts.models import User
from webapp.extensions import db

def _seed():
    """Demo locations, 30 products with stock, one person per role; no orders, receipts
    or returns."""
    seed_demo(30, without=("_orders", "_receipts", "_returns"))
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
