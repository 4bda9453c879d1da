"""Every console tile's numbers against the known floor, on SQLite and PostgreSQL."""
from datetime import timedelta

from flask import render_template

from webapp.extensions import db
from webapp.supervision import tiles
from webapp.orders.tiles import exceptions_tile, orders_tile
from webapp.picking.tiles import picking_tile
from webapp.supervision.floor import devices_tile
from webapp.sync.tiles import conflicts_tile


def test_orders_per_state_and_cutoff(known_floor):
    data = orders_tile()
    states = dict(data["states"])
    assert states["new"] == 2 and states["allocated"] == 1 and states["picked"] == 1
    assert states["packed"] == 1 and states["on_hold"] == 1
    assert states["picking"] == 2  # the two pick lists' orders
    carriers = {c["carrier"]: c for c in data["carriers"]}
    assert carriers["sf"] == {"carrier": "sf", "due_today": 1, "at_risk": 1, "late": 1}
    assert carriers["ems"] == {"carrier": "ems", "due_today": 0, "at_risk": 0, "late": 1}
    assert dict(data["today"]) == {"handed_over": 0, "cancelled": 0}


def test_final_states_count_todays_arrivals(known_floor):
    """Handed over and cancelled only grow: the tile shows how many arrived today."""
    from webapp.orders.models import OrderEvent
    f = known_floor
    for status, hours_ago in (("handed_over", 1), ("handed_over", 30), ("cancelled", 2)):
        order = f.order(status)
        db.session.add(OrderEvent(order_id=order.id, from_status="packed", to_status=status,
                                  created_at=f.now - timedelta(hours=hours_ago)))
    db.session.commit()
    data = orders_tile()
    today = dict(data["today"])
    from webapp.supervision.clock import day_bounds
    assert today["cancelled"] == int(f.now - timedelta(hours=2) >= day_bounds(f.now)[0])
    # 1 h ago is today unless the warehouse's day began less than an hour ago
    assert today["handed_over"] == int(f.now - timedelta(hours=1) >= day_bounds(f.now)[0])
    assert "handed_over" not in dict(data["states"])


def test_pick_lists_in_progress(known_floor):
    data = picking_tile()
    assert (data["in_progress"], data["waiting"]) == (1, 1)
    [row] = data["rows"]
    assert row["list"].id == known_floor.running.id
    assert row["picker"].username == "alice"
    assert (row["done"], row["total"], row["conflicts"]) == (2, 3, 1)
    # the last scan is the conflicting synced scan 3 minutes ago, later than the last task
    assert 170 <= row["idle"] <= 200


def test_exceptions_with_age(known_floor):
    data = exceptions_tile()
    assert data["total"] == 3
    kinds = {k["kind"]: k for k in data["kinds"]}
    assert kinds["address_error"]["count"] == 2 and kinds["short_pick"]["count"] == 1
    assert 5 * 3600 - 5 <= kinds["address_error"]["oldest"] <= 5 * 3600 + 60
    assert data["kinds"][0]["kind"] == "address_error"  # oldest first


def test_conflicts_with_age(known_floor):
    data = conflicts_tile()
    assert data["total"] == 1 and data["stuck"] == 0
    assert 175 <= data["oldest"] <= 240
    assert "reassigned" in data["newest"][0]["record"].reason


def test_conflicts_tile_counts_stuck_scans_as_the_conflicts_page_does(known_floor, any_app):
    """One meaning of "stuck" (sync.applying.stuck_scans): stored for longer than
    STUCK_AFTER. A scan stored seconds ago is on its way, not stuck."""
    from webapp.sync.applying import STUCK_AFTER, stuck_scans
    f = known_floor
    f.scan(f.alice, "stored", at=f.now - STUCK_AFTER - timedelta(minutes=4))
    f.scan(f.alice, "stored", at=f.now - STUCK_AFTER - timedelta(seconds=30))
    f.scan(f.alice, "stored", at=f.now)
    db.session.commit()
    data = conflicts_tile()
    assert data["stuck"] == 2 == stuck_scans()
    with any_app.test_request_context():
        html = render_template("sync/_tile.html", tile=tiles.tile("conflicts"), poll=15, **data)
    assert 'data-stuck="2"' in html and "/sync/conflicts" in html


def test_devices_flag_silent_with_scans(known_floor):
    data = devices_tile()
    assert data["live"] == 3 and data["waiting"] == 16
    assert [row["device"].name for row in data["silent"]] == ["HH-1"]


def test_empty_floor(floor):
    assert picking_tile()["rows"] == [] and conflicts_tile()["total"] == 0
    assert exceptions_tile()["total"] == 0 and devices_tile()["silent"] == []
    assert orders_tile()["carriers"] == []


def test_registry_orders_and_roles():
    names = [t.name for t in tiles.tiles_for({"supervisor"})]
    assert names[:4] == ["orders", "picking", "exceptions", "conflicts"]
    assert tiles.tiles_for({"picker"}) == []


def test_a_new_tile_registers_without_touching_the_console(app, login_as):
    """What a later flow does: register a tile; the home and the fragment URL show it."""
    tiles.register_tile("probe", "Probe", template="probe.html", order=1)(lambda: {"n": 42})
    from jinja2 import ChoiceLoader, DictLoader
    original = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([
        DictLoader({"probe.html": '{% extends "supervision/_tile.html" %}'
                                  '{% block body %}<b id="probe-n">{{ n }}</b>{% endblock %}'}),
        app.jinja_env.loader])
    try:
        client = login_as("supervisor")
        home = client.get("/").get_data(as_text=True)
        assert 'id="tile-probe"' in home and '<b id="probe-n">42</b>' in home
        fragment = client.get("/console/tiles/probe").get_data(as_text=True)
        assert fragment.lstrip().startswith('<section class="tile"') and "42" in fragment
    finally:
        tiles._TILES.pop("probe")
        app.jinja_env.loader = original
