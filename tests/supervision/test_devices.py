"""The devices page: last person, last sync, scans waiting, conflicts, the silent flag."""
from datetime import timedelta

from webapp.extensions import db
from webapp.supervision import devices


def test_overview_rows(known_floor):
    f = known_floor
    hh1 = next(r for r in devices.overview() if r["device"].name == "HH-1")
    f.scan(f.bob, "applied", device=hh1["device"])
    f.scan(f.alice, "conflict", device=hh1["device"], reason="the pick list is done")
    db.session.commit()
    rows = devices.overview()
    assert [r["device"].name for r in rows] == ["HH-1", "HH-2", "HH-3"]  # flagged first
    first = rows[0]
    assert first["silent"] and first["last_user"].username == "alice"  # the latest scan
    assert (first["conflicts"], first["open_conflicts"]) == (1, 1)
    assert 3590 <= first["age"] <= 3700
    assert not rows[1]["silent"] and rows[1]["last_user"] is None


def test_the_silent_setting_and_revoked_devices(known_floor, any_app):
    hh3 = next(r["device"] for r in devices.overview() if r["device"].name == "HH-3")
    any_app.config["DEVICE_SILENT_MINUTES"] = 1
    try:
        assert devices.is_silent(hh3)           # 2 minutes with 4 scans waiting
        hh3.revoked_at = known_floor.now
        assert not devices.is_silent(hh3)       # revoked: not expected to sync
    finally:
        any_app.config["DEVICE_SILENT_MINUTES"] = 15
    hh3.revoked_at, hh3.last_seen_at = None, None
    hh3.registered_at = known_floor.now - timedelta(hours=1)
    assert devices.is_silent(hh3)               # never synced since registered an hour ago


def test_page(app, login_as):
    from webapp.accounts.services import register_device
    device, _token = register_device("HH-PAGE")
    device.pending_scans = 7
    device.last_seen_at = None
    device.registered_at = device.registered_at - timedelta(hours=2)
    db.session.commit()
    client = login_as("supervisor")
    html = client.get("/console/devices").get_data(as_text=True)
    assert 'data-device="HH-PAGE" class="bad" data-silent="1"' in html
    assert 'data-pending="7"' in html
    assert "App version" not in html  # no device reports one: no empty column
    zh = client.get("/console/devices", headers={"Accept-Language": "zh-CN"})
    assert "失联，扫描有丢失风险" in zh.get_data(as_text=True)
