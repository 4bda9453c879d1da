"""Fixtures for counts: the demo warehouse without orders, its people, a wave helper.

The outbound helpers (orders, walking a list) are shared from tests/outbound: counts
start where a short pick leaves off.
"""
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "outbound"))

from demo_seed import seed_demo  # noqa: E402
from webapp.accounts.models import User  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.picking import services as picking  # noqa: E402
from webapp.picking.models import PickList, Wave  # noqa: E402
from webapp.picking.waves import run_wave  # noqa: E402

def _seed():
    """Demo locations, 40 products with stock, one person per role; no orders."""
    seed_demo(40, without=("_orders", "_receipts", "_counts"))
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
    """user_id('picker') -> id of the demo person of that role."""
    return lambda role: db.session.scalar(select(User.id).where(User.username == role))


@pytest.fixture
def wave():
    """wave(created_by) -> a wave run over the orders waiting now."""
    def run(created_by=None):
        planned = Wave(params_json=json.dumps({"max_orders": 10, "max_lines": 100}),
                       created_by_id=created_by)
        db.session.add(planned)
        db.session.commit()
        run_wave(planned)
        db.session.commit()
        return planned
    return run


@pytest.fixture
def started_task(user_id):
    """started_task() -> (list_id, picker id, current task) of the first pick list,
    started by the demo picker (run the wave first)."""
    def start():
        list_id = db.session.scalar(select(PickList.id).order_by(PickList.id))
        picker = user_id("picker")
        picking.start_list(list_id, picker)
        return list_id, picker, picking.current_task(db.session.get(PickList, list_id))
    return start
