"""Fixtures for the sync API: the demo warehouse, a started pick list, a device."""
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from webapp import demo
from webapp.accounts.models import User
from webapp.accounts.services import record_sign_in, register_device
from webapp.catalog.models import Barcode
from webapp.extensions import db
from webapp.picking import services as picking
from webapp.picking.models import PickList


@pytest.fixture
def walk(any_app):
    """A demo pick list started by the demo picker, and that picker."""
    demo.seed(products=40)
    db.session.commit()
    picker = db.session.scalar(select(User).where(User.username == "picker"))
    pick_list = db.session.scalars(select(PickList).order_by(PickList.id)).first()
    picking.start_list(pick_list.id, picker.id)
    db.session.commit()
    return {"list": pick_list, "picker": picker, "app": any_app}


@pytest.fixture
def on_postgres(walk):
    """`walk` on PostgreSQL only: for two requests racing on rows (SQLite takes its
    write lock at BEGIN IMMEDIATE, so a second request reads only after the first)."""
    if walk["app"].config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE: no two reads at once")
    return walk


@pytest.fixture
def device(walk):
    """A registered device (picker and packer) and its token; the demo picker and
    packer have signed in on it (a device sends only the scans of such people)."""
    registered, token = register_device("HH-TEST", roles=["picker", "packer"])
    for username in ("picker", "packer"):
        record_sign_in(registered.id, db.session.scalar(
            select(User.id).where(User.username == username)))
    db.session.commit()
    return {"device": registered, "id": registered.id, "token": token,
            "headers": {"Authorization": f"Bearer {token}"}}


class Scans:
    """Makes scan JSON the way a device does: uuid, increasing seq, device time."""

    def __init__(self, user_id):
        self.user_id, self.seq = user_id, 0

    def make(self, task, code, quantity=1, **extra):
        """One pick scan of `code` against `task`."""
        self.seq += 1
        return {"id": str(uuid.uuid4()), "seq": self.seq, "user_id": self.user_id,
                "device_time": datetime.now(timezone.utc).isoformat(), "action": "pick",
                "code": code, "quantity": quantity, "pick_list_id": task.pick_list_id,
                "task_id": task.id, **extra}

    def complete(self, task):
        """Location, then one scan per unit: the scans that finish a task."""
        barcode = db.session.scalar(select(Barcode.code).where(
            Barcode.product_id == task.product_id))
        return [self.make(task, task.location.code)] + [
            self.make(task, barcode) for _ in range(task.quantity)]


@pytest.fixture
def scans(walk):
    """A scan maker for the walking picker."""
    return Scans(walk["picker"].id)
