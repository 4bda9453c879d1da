"""/healthz: database and Redis state for load balancers and monitoring."""
import socket

import pytest


@pytest.fixture
def closed_redis_url():
    """A Redis URL on a port that is bound but not listening: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


def test_healthy_when_database_and_redis_answer(client):
    """200, both checks ok, the database backend named; no sign-in needed."""
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "backend": "sqlite"}
    assert body["redis"] == {"ok": True}


def test_unreachable_redis_is_503_and_named(factory, sqlite_url, closed_redis_url):
    """Redis down: 503, redis not ok, the database still reported ok."""
    down = factory.get(sqlite_url, REDIS_URL=closed_redis_url)
    response = down.test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["redis"]["ok"] is False and body["redis"]["error"]
    assert body["database"]["ok"] is True


def test_healthy_on_postgresql(pg_app):
    """The same check against PostgreSQL names that backend."""
    body = pg_app.test_client().get("/healthz").get_json()
    assert body["database"] == {"ok": True, "backend": "postgresql"}
