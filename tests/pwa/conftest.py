"""PWA tests: every request starts with an empty `g`, as in production."""
import pytest
from flask import g, request_started


@pytest.fixture(autouse=True)
def fresh_g_per_request():
    """Empty `g` when each request starts (the `app` fixture's context is reused,
    so a device found by one request's token would otherwise stay for the next)."""
    def clear(_sender, **_extra):
        g.__dict__.clear()
    request_started.connect(clear)
    yield
    request_started.disconnect(clear)
