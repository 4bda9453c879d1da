"""A known floor for the console's numbers: orders in each state with cut-offs, pick
lists at known progress, exceptions, conflicts, devices. Built row by row so every
expected number in the tests can be counted by hand."""
import uuid
from datetime import timedelta

import pytest

from webapp.accounts.models import Device
from webapp.accounts.services import create_user
from webapp.catalog.models import Location, Product, StockLevel, Warehouse
from webapp.extensions import db
from webapp.orders.models import Order, OrderEvent, OrderException, OrderLine
from webapp.picking.models import PickList, PickTask
from webapp.sync.models import ScanRecord
from webapp.timeutil import utcnow


class Floor:
    """Helpers that add rows and remember them."""

    def __init__(self):
        self.now = utcnow()
        self.n = 0
        warehouse = Warehouse(code="W", name="W")
        db.session.add(warehouse)
        db.session.flush()
        self.loc = {z: Location(warehouse_id=warehouse.id, code=f"{z}-01-01-1", zone=z)
                    for z in ("A", "B")}
        self.pack = Location(warehouse_id=warehouse.id, code="PACK-01", type="packing", zone="P")
        self.product = Product(sku="SKU-1", name="Tea set")
        db.session.add_all([*self.loc.values(), self.pack, self.product])
        self.alice = create_user("alice", "pw-123456", ["picker"], display_name="Alice")
        self.bob = create_user("bob", "pw-123456", ["picker"], display_name="Bob")
        db.session.flush()

    def order(self, status="new", carrier="builtin", cutoff=None, created=None):
        """An order with one line."""
        self.n += 1
        order = Order(channel="t", channel_order_no=str(self.n), status=status, carrier=carrier,
                      cutoff_at=cutoff, created_at=created or self.now)
        order.lines = [OrderLine(sku="SKU-1", product_id=self.product.id, quantity=1)]
        db.session.add(order)
        db.session.flush()
        return order

    def packed(self, created, packed_at, cutoff=None):
        """An order received at `created` and packed at `packed_at`."""
        order = self.order("packed", cutoff=cutoff, created=created)
        db.session.add(OrderEvent(order_id=order.id, from_status="picked", to_status="packed",
                                  created_at=packed_at))
        return order

    def pick_list(self, picker=None, status="in_progress", tasks=()):
        """A list with tasks given as (status, zone, done_at)."""
        order = self.order("picking")
        pick_list = PickList(picker_id=picker.id if picker else None, status=status,
                             started_at=self.now - timedelta(hours=1))
        db.session.add(pick_list)
        db.session.flush()
        for seq, (state, zone, done_at) in enumerate(tasks):
            db.session.add(PickTask(pick_list_id=pick_list.id, sequence=seq, order_id=order.id,
                                    order_line_id=order.lines[0].id, product_id=self.product.id,
                                    location_id=self.loc[zone].id, quantity=1, status=state,
                                    picked_qty=1 if state == "done" else 0, done_at=done_at))
        db.session.flush()
        return pick_list

    def scan(self, user, status="applied", pick_list=None, device=None, at=None, reason=""):
        """A synced scan record."""
        self.n += 1
        record = ScanRecord(scan_uuid=str(uuid.uuid4()), device_id=device.id if device else None,
                            seq=self.n, user_id=user.id, action="pick", code="X",
                            pick_list_id=pick_list.id if pick_list else None, status=status,
                            reason=reason, server_time=at or self.now)
        db.session.add(record)
        return record

    def device(self, name, pending=0, seen_minutes_ago=0):
        """A registered device last seen some minutes ago."""
        device = Device(name=name, token_hash=uuid.uuid4().hex, pending_scans=pending,
                        last_seen_at=self.now - timedelta(minutes=seen_minutes_ago))
        db.session.add(device)
        db.session.flush()
        return device

    def stock(self, product, location, quantity, reserved=0):
        """A stock level (for the stock watch; the ledger is not the point here)."""
        db.session.add(StockLevel(product_id=product.id, location_id=location.id,
                                  quantity=quantity, reserved=reserved))


@pytest.fixture
def floor(any_app):
    """An empty Floor on SQLite and on PostgreSQL."""
    return Floor()


@pytest.fixture
def sqlite_floor(app):
    """An empty Floor on SQLite only (for tests with a real worker on that file)."""
    return Floor()


@pytest.fixture
def known_floor(floor):
    """The data set the tile tests count against."""
    f, now = floor, floor.now
    f.order("new", "sf", cutoff=now - timedelta(hours=1))          # late
    f.order("allocated", "sf", cutoff=now + timedelta(minutes=1))  # at risk, due today
    f.order("picked", "sf", cutoff=now + timedelta(days=3))        # neither
    f.order("packed", "sf", cutoff=now - timedelta(hours=2))       # packed: not counted
    f.order("on_hold", "ems", cutoff=now - timedelta(minutes=5))   # late
    f.order("new", "ems")                                          # no cut-off
    running = f.pick_list(f.alice, tasks=[("done", "A", now - timedelta(minutes=20)),
                                          ("done", "A", now - timedelta(minutes=10)),
                                          ("pending", "B", None)])
    f.pick_list(None, status="open", tasks=[("pending", "A", None)])
    f.scan(f.alice, "conflict", running, at=now - timedelta(minutes=3),
           reason="the pick list was reassigned to someone else")
    for kind, hours, resolved in (("address_error", 5, False), ("address_error", 1, False),
                                  ("short_pick", 2, False), ("short_pick", 9, True)):
        exc = OrderException(order_id=running.tasks[0].order_id, kind=kind, message="m",
                             created_at=now - timedelta(hours=hours))
        exc.resolved_at = now if resolved else None
        db.session.add(exc)
    f.device("HH-1", pending=12, seen_minutes_ago=60)   # silent with scans: flagged
    f.device("HH-2", pending=0, seen_minutes_ago=600)   # silent, nothing waiting: fine
    f.device("HH-3", pending=4, seen_minutes_ago=2)     # syncing: fine
    db.session.commit()
    f.running = running
    return f
