"""Fixtures for returns: the demo warehouse without its orders, and shipped orders."""
import pytest
from flask import g, request_started
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from webapp import demo
from webapp.accounts import models as account_models
from webapp.accounts.models import User
from webapp.extensions import db

_HASHES = {}


def _hash_once(password, *args, **kwargs):
    """generate_password_hash, computed once per password: seeding runs per test."""
    if password not in _HASHES:
        _HASHES[password] = generate_password_hash(password, *args, **kwargs)
    return _HASHES[password]


def _seed():
    """Demo locations, 30 products with stock, one person per role; no orders, receipts
    or returns."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(account_models, "generate_password_hash", _hash_once)
        for name in ("_orders", "_receipts", "_returns"):
            if hasattr(demo, name):
                patch.setattr(demo, name, lambda *args, **kwargs: 0)
        demo.seed(products=30)
    db.session.commit()


@pytest.fixture(autouse=True)
def user_loaded_per_request():
    """Forget Flask-Login's cached user when each request starts."""
    def forget(_sender, **_extra):
        g.pop("_login_user", None)
    request_started.connect(forget)
    yield
    request_started.disconnect(forget)


@pytest.fixture
def warehouse(any_app):
    """The demo warehouse on SQLite and on PostgreSQL."""
    _seed()
    return any_app


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
